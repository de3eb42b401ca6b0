// The paged form of a snapshot answer: a frozen image (frozen-image.ts) put in the streamed
// document's order once, as flat lists, so any page is a slice by record index. Putting it in
// order is a budgeted task (sliced-json.ts) the caller runs in slices between which the loop turns;
// the lists hold references to the captured records, not copies.
import { type FrozenImage, byBrokerId, byProducerId, byTopicName } from "./frozen-image.ts";
import { invariant } from "./invariant.ts";
import type { PartitionRecord, ProducerIdsRecord } from "./records.ts";
import type { MetadataSnapshotBody } from "./service-types.ts";
import { AppendRecords, Sequence, SortedRecords, type Task, TopicPartitions } from "./sliced-json.ts";

export class OrderedImage {
  private readonly partitions: PartitionRecord[] = [];
  private readonly brokers: SortedRecords<MetadataSnapshotBody["brokers"][number]>;
  private readonly topics: SortedRecords<MetadataSnapshotBody["topics"][number]>;
  private readonly producers: SortedRecords<ProducerIdsRecord>;
  /** Puts the image in order; page() may be called once it is done. */
  readonly ordering: Task;

  constructor(readonly image: FrozenImage) {
    const { capture } = image;
    const noProducers: ProducerIdsRecord[] = [];
    this.brokers = new SortedRecords(capture.brokers.values(), byBrokerId);
    this.topics = new SortedRecords(capture.topics.values(), byTopicName);
    this.producers = new SortedRecords((image.withProducers ? capture.producers : noProducers).values(), byProducerId);
    this.ordering = new Sequence([
      () => this.brokers,
      () => this.topics,
      () => new TopicPartitions(capture, () => this.topics.result(), (sorted) => new AppendRecords(this.partitions, sorted)),
      () => this.producers,
    ]);
  }

  /** Records in the view, every section counted. */
  get total(): number {
    return this.sections().reduce((n, s) => n + s.length, 0);
  }

  /** Records [from, from + limit) of the document order, each in its own section. */
  page(from: number, limit: number): MetadataSnapshotBody {
    invariant(Number.isSafeInteger(from) && from >= 0, () => `a page starts at a non-negative index, got ${from}`);
    invariant(Number.isSafeInteger(limit) && limit >= 1, () => `a page holds at least one record, got ${limit}`);
    const [brokers, topics, partitions, producers] = this.sections();
    let start = from;
    let left = limit;
    const take = <T>(list: readonly T[]): T[] => {
      const slice = list.slice(Math.min(start, list.length), Math.min(start, list.length) + left);
      start = Math.max(0, start - list.length);
      left -= slice.length;
      return slice;
    };
    return { brokers: take(brokers), topics: take(topics), partitions: take(partitions), producers: take(producers) };
  }

  private sections(): [MetadataSnapshotBody["brokers"], MetadataSnapshotBody["topics"], PartitionRecord[], ProducerIdsRecord[]] {
    invariant(this.ordering.done, () => `the view at offset ${this.image.offset} was paged before it was in order`);
    return [this.brokers.result(), this.topics.result(), this.partitions, this.producers.result()];
  }
}
