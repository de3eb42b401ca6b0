// A frozen view of the metadata image for one fetch: the image's capture (image.ts capture(), map
// copies holding frozen records, unchanged by later commits) at the applied offset it was taken,
// and the audience it is for (ClientMgmt gets no producers). The streamed answer
// (answer-stream.ts) and the paged one (ordered-image.ts) read it through its captured maps only;
// body() builds the whole document at once, for small images and tests.
import { type ImageCapture, compareText } from "./image.ts";
import { invariant } from "./invariant.ts";
import type { BrokerView, MetadataSnapshotBody } from "./service-types.ts";
import type { PartitionRecord, ProducerIdsRecord, TopicRecord } from "./records.ts";

export type Audience = "broker" | "client";

export const byBrokerId = (a: BrokerView, b: BrokerView) => a.fields.brokerId - b.fields.brokerId;
export const byTopicName = (a: TopicRecord, b: TopicRecord) => compareText(a.fields.name, b.fields.name);
export const byPartitionId = (a: PartitionRecord, b: PartitionRecord) => a.fields.partitionId - b.fields.partitionId;
export const byProducerId = (a: ProducerIdsRecord, b: ProducerIdsRecord) => a.fields.producerId - b.fields.producerId;

export class FrozenImage {
  constructor(
    /** The applied offset the capture was taken at: the answer is complete up to it. */
    readonly offset: number,
    readonly audience: Audience,
    readonly capture: ImageCapture,
  ) {
    invariant(Number.isSafeInteger(offset) && offset >= 0, () => `a frozen image needs a non-negative offset, got ${offset}`);
  }

  /** ClientMgmt answers carry no producers (API.md). */
  get withProducers(): boolean {
    return this.audience === "broker";
  }

  /** The whole document in one go, in the streamed order: only for small images and tests. */
  body(): MetadataSnapshotBody {
    const topics = [...this.capture.topics.values()].sort(byTopicName);
    const partitionsOf = (t: TopicRecord) => [...(this.capture.partitions.get(t.fields.topicUUID)?.byId.values() ?? [])].sort(byPartitionId);
    return {
      brokers: [...this.capture.brokers.values()].sort(byBrokerId),
      topics,
      partitions: topics.flatMap(partitionsOf),
      producers: this.withProducers ? [...this.capture.producers.values()].sort(byProducerId) : [],
    };
  }
}
