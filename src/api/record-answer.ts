// Answers made of records (a topic with its partitions, a list of new partitions) written as JSON
// text by record-json.ts, byte for byte what Elysia's JSON.stringify of the same object gives, at a
// third of its cost for partition records; a large one compressed as the caller allows
// (json-answer.ts). The Response is typed as the object it carries, so the route keeps its type
// for the Eden client (which parses the JSON body back into that object).
import { recordJson, recordsJson } from "../metadata/record-json.ts";
import type { PartitionRecord } from "../metadata/records.ts";
import type { TopicView } from "../metadata/service-types.ts";
import { typedJsonAnswer } from "./json-answer.ts";

/** `{"topic":…,"partitions":[…]}`: the JSON of a topic's create or read. */
export function topicJson(view: TopicView): string {
  return `{"topic":${recordJson(view.topic)},"partitions":${recordsJson(view.partitions)}}`;
}

/** A topic's create (201); its read is kept encoded (topic-bodies.ts). */
export function topicAnswer(view: TopicView, status: 201, request: Request): TopicView {
  return typedJsonAnswer(topicJson(view), status, request);
}

/** `{"partitions":[…]}`: the partitions a `count` request added (201). */
export function partitionsAnswer(partitions: PartitionRecord[], request: Request): { partitions: PartitionRecord[] } {
  return typedJsonAnswer(`{"partitions":${recordsJson(partitions)}}`, 201, request);
}
