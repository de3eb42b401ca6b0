// The binary snapshot (snapshot-format.ts) of a captured image (image.ts capture()), encoded in
// bounded slices: collecting the records out of the captured maps, sorting them
// (incremental-sort.ts), writing them and copying the bytes into one buffer all happen a budget of
// items at a time (a remembered request weighs 1 + the records of its result), so the bytes do not
// depend on the budget. The remembered request ids go last, in the captured table's order.
// stepPieces() skips the copy into one buffer: the node stores the writer's chunks as they are.
import type { SnapshotEncoding } from "../node/contracts.ts";
import type { ImageCapture } from "./image.ts";
import { compareText } from "./image.ts";
import { invariant } from "./invariant.ts";
import type { PartitionRecord, TopicRecord } from "./records.ts";
import { captureSource } from "./record-refs.ts";
import { type RememberedRequest, weightOf } from "./request-table.ts";
import { writeBroker, writeHead, writePartition, writeProducer, writeRequest, writeTopic } from "./snapshot-format.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";
import { Sequence, SortedRecords, type Task, TopicPartitions } from "./sliced-tasks.ts";

/**
 * Merge-sort moves that count as one item. With the JSON format a move cost ~1/30 of encoding a
 * record; a binary record costs about as little as a move (whose compare reads two records'
 * fields: sorting 10,000 topics in slices of 8 moves an item held the loop 20-90 ms a slice).
 */
const SORT_MOVES_PER_ITEM = 1;
/** Copying this many bytes counts as one item: a memcpy of 2 KiB costs far less than encoding a record. */
const COPY_BYTES_PER_ITEM = 2048;

/**
 * Records written after their count, as many per step as their weight allows: a record costs
 * `weight(record)` items (at least 1); one heavier than the whole budget goes alone. `records` is
 * asked for when the task starts.
 */
class WriteRecords<T> implements Task {
  private next = -1;

  constructor(
    private readonly out: SnapshotWriter,
    private readonly records: () => readonly T[],
    private readonly write: (out: SnapshotWriter, record: T) => void,
    private readonly weight: (record: T) => number = () => 1,
  ) {}

  get done(): boolean {
    return this.next >= this.records().length;
  }

  step(budget: number): number {
    const records = this.records();
    if (this.next < 0) {
      this.out.uint(records.length);
      this.next = 0;
    }
    let work = 0;
    while (this.next < records.length) {
      const cost = this.weight(records[this.next]);
      invariant(Number.isSafeInteger(cost) && cost >= 1, () => `a snapshot record must weigh a positive integer of items, got ${cost}`);
      if (work > 0 && work + cost > budget) break;
      this.write(this.out, records[this.next++]);
      work += cost;
    }
    return Math.max(1, work);
  }
}

/**
 * A remembered request is written with every record of its result (a reference or the record
 * itself): a topic creation's carries the topic and all its partitions. Counted as one item, 1024
 * creations of 100 partitions held the loop ~30 ms in one slice at 1M partitions; counted with
 * their records (as RequestsDecoding counts them when reading) a slice stays near 1024 records.
 */
function requestWeight(request: RememberedRequest): number {
  return 1 + weightOf(request);
}

/** Fixed fields (the head): no item of work. */
class WriteFixed implements Task {
  done = false;

  constructor(private readonly write: () => void) {}

  step(): number {
    this.write();
    this.done = true;
    return 0;
  }
}

/** Every topic in name order (after their count), each followed by its partitions sorted by id. */
function writeTopics(out: SnapshotWriter, capture: ImageCapture, topics: () => readonly TopicRecord[]): Task {
  return new Sequence([
    () => new WriteFixed(() => out.uint(topics().length)),
    () =>
      new TopicPartitions(capture, topics, (sorted) => new WritePartitions(out, sorted), {
        start: (topic, partitions) => writeTopic(out, topic, partitions),
        movesPerItem: SORT_MOVES_PER_ITEM,
      }),
  ]);
}

/** One topic's sorted partitions (their count is in the topic's own fields). */
class WritePartitions implements Task {
  private next = 0;

  constructor(
    private readonly out: SnapshotWriter,
    private readonly records: () => readonly PartitionRecord[],
  ) {}

  get done(): boolean {
    return this.next >= this.records().length;
  }

  step(budget: number): number {
    const records = this.records();
    const end = Math.min(records.length, this.next + budget);
    for (let i = this.next; i < end; i++) writePartition(this.out, records[i]);
    const work = end - this.next;
    this.next = end;
    return work;
  }
}

/** Copies the encoded chunks into one buffer, a bounded number of bytes per item of budget. */
class Assemble implements Task {
  private buffer: Uint8Array | null = null;
  private chunk = 0;
  private offset = 0;

  constructor(
    private readonly chunks: readonly Uint8Array[],
    /** Encodes the text still pending, once, before the size is summed. */
    private readonly flush: () => void,
  ) {}

  get done(): boolean {
    return this.buffer !== null && this.chunk >= this.chunks.length;
  }

  step(budget: number): number {
    if (this.buffer === null) {
      this.flush();
      this.buffer = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    }
    let work = 0;
    while (this.chunk < this.chunks.length) {
      const c = this.chunks[this.chunk];
      const cost = Math.max(1, Math.ceil(c.length / COPY_BYTES_PER_ITEM));
      // A chunk is copied whole; only one bigger than the whole budget goes over it (tiny budgets).
      if (work > 0 && work + cost > budget) break;
      this.buffer.set(c, this.offset);
      this.offset += c.length;
      this.chunk++;
      work += cost;
    }
    if (this.chunk === this.chunks.length) this.freeBlocks();
    return work;
  }

  /**
   * The writer's blocks, all copied now, are given back at once: they lived through the encode's
   * slices, so only a full collection would free them, and an idle node may not run one for
   * minutes (a snapshot's worth of them, 21.8 MB at 1M partitions, stayed resident; issue 10).
   * Detaching a block frees it; the writer and these chunks are its only views, read no more.
   */
  private freeBlocks(): void {
    for (const c of this.chunks) {
      const block = c.buffer;
      if (block instanceof ArrayBuffer && !block.detached) block.transfer(0);
    }
  }

  result(): Uint8Array {
    invariant(this.buffer !== null && this.done, () => `snapshot bytes asked for with ${this.chunks.length - this.chunk} chunks left to copy`);
    return this.buffer;
  }
}

export class SnapshotEncoder implements SnapshotEncoding {
  private readonly out = new SnapshotWriter();
  /** Everything but the last copy: the writer's chunks then hold the whole snapshot. */
  private readonly encode: Sequence;
  private readonly assemble: Assemble;
  private readonly whole: Sequence;
  private result: Uint8Array | null = null;

  constructor(capture: ImageCapture, appliedIndex: number, requests: readonly RememberedRequest[] = []) {
    const out = this.out;
    const source = captureSource(capture);
    const brokers = new SortedRecords(capture.brokers.values(), (a, b) => a.fields.brokerId - b.fields.brokerId, SORT_MOVES_PER_ITEM);
    const topics = new SortedRecords(capture.topics.values(), (a, b) => compareText(a.fields.name, b.fields.name), SORT_MOVES_PER_ITEM);
    const producers = new SortedRecords(capture.producers.values(), (a, b) => a.fields.producerId - b.fields.producerId, SORT_MOVES_PER_ITEM);
    this.assemble = new Assemble(out.chunks, () => out.flush());
    this.encode = new Sequence([
      () => brokers,
      () => topics,
      () => producers,
      () => new WriteFixed(() => writeHead(out, appliedIndex, capture.nextProducerId)),
      () => new WriteRecords(out, () => brokers.result(), writeBroker),
      () => writeTopics(out, capture, () => topics.result()),
      () => new WriteRecords(out, () => producers.result(), writeProducer),
      () => new WriteRecords(out, () => requests, (w, r) => writeRequest(w, r, source), requestWeight),
    ]);
    this.whole = new Sequence([() => this.encode, () => this.assemble]);
  }

  step(maxItems: number): Uint8Array | null {
    invariant(Number.isSafeInteger(maxItems) && maxItems >= 1, () => `snapshot step needs a positive integer budget, got ${maxItems}`);
    if (this.result !== null) return this.result;
    this.whole.step(maxItems);
    this.out.flush();
    if (this.whole.done) this.result = this.assemble.result();
    return this.result;
  }

  /** The writer's chunks once encoded, not copied into one buffer (SnapshotEncoding.stepPieces). */
  stepPieces(maxItems: number): readonly Uint8Array[] | null {
    invariant(Number.isSafeInteger(maxItems) && maxItems >= 1, () => `snapshot step needs a positive integer budget, got ${maxItems}`);
    invariant(this.result === null, () => "snapshot pieces asked for after step() assembled them");
    if (!this.encode.done) this.encode.step(maxItems);
    this.out.flush();
    return this.encode.done ? this.out.chunks : null;
  }
}
