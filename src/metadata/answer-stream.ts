// A metadata answer written as bytes in bounded slices (sliced-json.ts), never built whole: the
// JSON document is byte-for-byte what JSON.stringify writes for the answer, and NDJSON is a first
// line with the mode and offset, then one line per record. A snapshot answer reads its frozen
// image (frozen-image.ts), so commits go on while it is written; the first slice is the head, so
// the first bytes go out before any sorting. A diff answer writes its records, already in order.
import { type FrozenImage, byBrokerId, byProducerId, byTopicName } from "./frozen-image.ts";
import { invariant } from "./invariant.ts";
import type { MetadataRecord, ProducerIdsRecord } from "./records.ts";
import type { MetadataAnswer } from "./service-types.ts";
import { ChunkWriter, type RecordList, Sequence, SortedRecords, type Task, writePartitions, WriteRecords, WriteText, jsonArray, ndjsonLines } from "./sliced-json.ts";

export type AnswerFormat = "json" | "ndjson";

const EMPTY = new Uint8Array(0);

/** Keys written before the answer's own (the seed routes' `message`). */
export type AnswerPrefix = Record<string, string>;

export class AnswerStream {
  private readonly out = new ChunkWriter();
  private readonly work: Sequence;

  constructor(answer: MetadataAnswer, format: AnswerFormat, prefix: AnswerPrefix = {}) {
    const head = JSON.stringify({ ...prefix, mode: answer.mode, offset: answer.offset });
    const makers = answer.mode === "diff" ? this.diffTasks(answer.records, format, head) : this.snapshotTasks(answer.image, format, head);
    this.work = new Sequence(makers);
  }

  get done(): boolean {
    return this.work.done;
  }

  /**
   * Does one slice of work (at most `budget` records' worth) and returns the bytes it wrote —
   * empty when the slice only collected or sorted — or null once everything is written.
   */
  next(budget: number): Uint8Array | null {
    invariant(Number.isSafeInteger(budget) && budget >= 1, () => `an answer slice needs a positive integer budget, got ${budget}`);
    if (this.work.done) return null;
    this.work.step(budget);
    const chunks = this.out.take();
    invariant(chunks.length <= 1, () => `one slice made ${chunks.length} chunks`);
    return chunks[0] ?? EMPTY;
  }

  private diffTasks(records: readonly MetadataRecord[], format: AnswerFormat, head: string): (() => Task)[] {
    const out = this.out;
    if (format === "ndjson") return [() => new WriteText(out, `${head}\n`), () => new WriteRecords(out, ndjsonLines(), () => records)];
    return [() => new WriteText(out, `${head.slice(0, -1)},"records":[`), () => new WriteRecords(out, jsonArray(), () => records), () => new WriteText(out, "]}")];
  }

  private snapshotTasks(image: FrozenImage, format: AnswerFormat, head: string): (() => Task)[] {
    const out = this.out;
    const { capture } = image;
    const ndjson = format === "ndjson";
    const shared = ndjsonLines();
    const list = (): RecordList => (ndjson ? shared : jsonArray());
    const text = (json: string) => () => new WriteText(out, ndjson ? "" : json);
    const brokers = new SortedRecords(capture.brokers.values(), byBrokerId);
    const topics = new SortedRecords(capture.topics.values(), byTopicName);
    const noProducers: ProducerIdsRecord[] = [];
    const producers = new SortedRecords((image.withProducers ? capture.producers : noProducers).values(), byProducerId);
    return [
      () => new WriteText(out, ndjson ? `${head}\n` : `${head.slice(0, -1)},"snapshot":{"brokers":[`),
      () => brokers,
      () => new WriteRecords(out, list(), () => brokers.result()),
      text(`],"topics":[`),
      () => topics,
      () => new WriteRecords(out, list(), () => topics.result()),
      text(`],"partitions":[`),
      () => writePartitions(out, capture, () => topics.result(), list()),
      text(`],"producers":[`),
      () => producers,
      () => new WriteRecords(out, list(), () => producers.result()),
      text("]}}"),
    ];
  }
}
