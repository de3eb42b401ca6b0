// Answers made of records (a topic with its partitions, a list of new partitions) written as JSON
// text by record-json.ts, byte for byte what Elysia's JSON.stringify of the same object gives, at a
// third of its cost for partition records. The Response is typed as the object it carries, so the
// route keeps its type for the Eden client (which parses the JSON body back into that object).
import { recordJson, recordsJson } from "../metadata/record-json.ts";
import type { PartitionRecord } from "../metadata/records.ts";
import type { TopicView } from "../metadata/service-types.ts";
import { JSON_HEADERS } from "./record-bodies.ts";


function answer<T>(text: string, status: number): T {
  return new Response(text, { status, headers: JSON_HEADERS }) as unknown as T;
}

/** `{"topic":…,"partitions":[…]}`: a topic's create (201) or read (200). */
export function topicAnswer(view: TopicView, status: 200 | 201): TopicView {
  return answer(`{"topic":${recordJson(view.topic)},"partitions":${recordsJson(view.partitions)}}`, status);
}

/** `{"partitions":[…]}`: the partitions a `count` request added (201). */
export function partitionsAnswer(partitions: PartitionRecord[]): { partitions: PartitionRecord[] } {
  return answer(`{"partitions":${recordsJson(partitions)}}`, 201);
}
