// The snapshot of a captured image (image.ts capture()), encoded in bounded slices: collecting the
// records out of the captured maps, sorting them (incremental-sort.ts), writing their JSON and
// copying the bytes into one buffer all happen a budget of items at a time. The bytes are exactly
// those of image-codec.ts encodeSnapshot() for the same image: the same document, written piece by
// piece in the same order. The remembered request ids go last, in the captured table's order.
import type { SnapshotEncoding } from "../node/contracts.ts";
import type { ImageCapture } from "./image.ts";
import { compareText } from "./image.ts";
import { IncrementalSort } from "./incremental-sort.ts";
import { invariant } from "./invariant.ts";
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from "./image-codec.ts";
import type { PartitionRecord, TopicRecord } from "./records.ts";
import { captureSource } from "./record-refs.ts";
import { encodeRememberedRequest } from "./request-codec.ts";
import type { RememberedRequest } from "./request-table.ts";

/** Merge-sort moves that count as one item: a move costs a small fraction of encoding a record (measured ~1/30). */
const SORT_MOVES_PER_ITEM = 8;
/** Copying this many bytes counts as one item: a memcpy of 2 KiB costs far less than encoding a record. */
const COPY_BYTES_PER_ITEM = 2048;

/** One piece of the work; step() either does some work or finishes (never neither). */
interface Task {
  readonly done: boolean;
  /** Does at most `budget` (≥ 1) items of work; returns how many. */
  step(budget: number): number;
}

/** Records out of a captured map, then sorted; both phases budgeted. */
class SortedRecords<T> implements Task {
  private readonly collected: T[] = [];
  private sort: IncrementalSort<T> | null = null;

  constructor(
    private readonly source: Iterator<T>,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  get done(): boolean {
    return this.sort?.done ?? false;
  }

  step(budget: number): number {
    let work = 0;
    while (this.sort === null && work < budget) {
      const next = this.source.next();
      if (next.done) this.sort = new IncrementalSort(this.collected, this.compare);
      else {
        this.collected.push(next.value);
        work++;
      }
    }
    if (this.sort !== null && work < budget) {
      const moves = Math.min(Number.MAX_SAFE_INTEGER, (budget - work) * SORT_MOVES_PER_ITEM);
      work += Math.ceil(this.sort.step(moves) / SORT_MOVES_PER_ITEM);
    }
    return work;
  }

  result(): T[] {
    invariant(this.sort !== null, () => `records asked for before all ${this.collected.length} were collected`);
    return this.sort.result();
  }
}

/** Text pieces waiting to be encoded; each slice's text becomes one chunk of bytes. */
class ChunkWriter {
  readonly chunks: Uint8Array[] = [];
  private parts: string[] = [];
  private readonly encoder = new TextEncoder();

  write(text: string): void {
    this.parts.push(text);
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(this.encoder.encode(this.parts.join("")));
    this.parts = [];
  }
}

/** Records of a JSON array, one per item; `list` spans several runs when they share one array. */
class WriteRecords<T> implements Task {
  private next = 0;

  constructor(
    private readonly out: ChunkWriter,
    private readonly list: { empty: boolean },
    private readonly records: () => readonly T[],
  ) {}

  get done(): boolean {
    return this.next >= this.records().length;
  }

  step(budget: number): number {
    const records = this.records();
    const end = Math.min(records.length, this.next + budget);
    for (let i = this.next; i < end; i++) {
      this.out.write((this.list.empty ? "" : ",") + JSON.stringify(records[i]));
      this.list.empty = false;
    }
    const work = end - this.next;
    this.next = end;
    return work;
  }
}

/** Items of a JSON array straight from an iterator (no sorting), one per item of budget. */
class WriteIterated<T> implements Task {
  done = false;
  private empty = true;

  constructor(
    private readonly out: ChunkWriter,
    private readonly source: Iterator<T>,
    private readonly render: (item: T) => string,
  ) {}

  step(budget: number): number {
    let work = 0;
    while (work < budget) {
      const next = this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      this.out.write((this.empty ? "" : ",") + this.render(next.value));
      this.empty = false;
      work++;
    }
    return work;
  }
}

/** Fixed text (brackets, keys): no item of work. */
class WriteText implements Task {
  done = false;

  constructor(
    private readonly out: ChunkWriter,
    private readonly text: string,
  ) {}

  step(): number {
    this.out.write(this.text);
    this.done = true;
    return 0;
  }
}

/** Runs tasks in order, created lazily (a task may need an earlier one's result). */
class Sequence implements Task {
  private current: Task | null = null;
  private index = 0;

  constructor(private readonly makers: readonly (() => Task)[]) {}

  get done(): boolean {
    return this.index >= this.makers.length;
  }

  step(budget: number): number {
    let work = 0;
    while (work < budget && !this.done) {
      this.current ??= this.makers[this.index]();
      const used = this.current.step(budget - work);
      invariant(used > 0 || this.current.done, () => `snapshot task ${this.index} made no progress`);
      work += used;
      if (this.current.done) {
        this.current = null;
        this.index++;
      }
    }
    return work;
  }
}

/** Every partition, topic by topic in the topics' order, each topic's sorted by partition id. */
class WritePartitions implements Task {
  private topic = 0;
  private current: Sequence | null = null;
  private readonly list = { empty: true };

  constructor(
    private readonly out: ChunkWriter,
    private readonly capture: ImageCapture,
    private readonly topics: () => readonly TopicRecord[],
  ) {}

  get done(): boolean {
    return this.current === null && this.topic >= this.topics().length;
  }

  step(budget: number): number {
    let work = 0;
    while (work < budget && !this.done) {
      if (this.current === null) {
        // A topic counts as an item itself, so a run of topics without partitions is bounded too.
        this.current = this.topicTask(this.topics()[this.topic]);
        work++;
      }
      if (work < budget) work += this.current.step(budget - work);
      if (this.current.done) {
        this.current = null;
        this.topic++;
      }
    }
    return work;
  }

  private topicTask(topic: TopicRecord): Sequence {
    const byId = this.capture.partitions.get(topic.fields.topicUUID)?.byId ?? new Map<number, PartitionRecord>();
    const sorted = new SortedRecords(byId.values(), (a, b) => a.fields.partitionId - b.fields.partitionId);
    return new Sequence([() => sorted, () => new WriteRecords(this.out, this.list, () => sorted.result())]);
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
    return work;
  }

  result(): Uint8Array {
    invariant(this.buffer !== null && this.done, () => `snapshot bytes asked for with ${this.chunks.length - this.chunk} chunks left to copy`);
    return this.buffer;
  }
}

export class SnapshotEncoder implements SnapshotEncoding {
  private readonly out = new ChunkWriter();
  private readonly work: Sequence;
  private readonly assemble: Assemble;
  private result: Uint8Array | null = null;

  constructor(capture: ImageCapture, appliedIndex: number, requests: ReadonlyMap<string, RememberedRequest> = new Map()) {
    const out = this.out;
    const source = captureSource(capture);
    const brokers = new SortedRecords(capture.brokers.values(), (a, b) => a.fields.brokerId - b.fields.brokerId);
    const topics = new SortedRecords(capture.topics.values(), (a, b) => compareText(a.fields.name, b.fields.name));
    const producers = new SortedRecords(capture.producers.values(), (a, b) => a.fields.producerId - b.fields.producerId);
    // The same head JSON.stringify writes for the whole document, up to the first array.
    const head = JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, appliedIndex, nextProducerId: capture.nextProducerId });
    this.assemble = new Assemble(out.chunks, () => out.flush());
    this.work = new Sequence([
      () => brokers,
      () => topics,
      () => producers,
      () => new WriteText(out, `${head.slice(0, -1)},"brokers":[`),
      () => new WriteRecords(out, { empty: true }, () => brokers.result()),
      () => new WriteText(out, `],"topics":[`),
      () => new WriteRecords(out, { empty: true }, () => topics.result()),
      () => new WriteText(out, `],"partitions":[`),
      () => new WritePartitions(out, capture, () => topics.result()),
      () => new WriteText(out, `],"producers":[`),
      () => new WriteRecords(out, { empty: true }, () => producers.result()),
      () => new WriteText(out, `],"requests":[`),
      () => new WriteIterated(out, requests.values(), (r) => encodeRememberedRequest(r, source)),
      () => new WriteText(out, "]}"),
      () => this.assemble,
    ]);
  }

  step(maxItems: number): Uint8Array | null {
    invariant(Number.isSafeInteger(maxItems) && maxItems >= 1, () => `snapshot step needs a positive integer budget, got ${maxItems}`);
    if (this.result !== null) return this.result;
    this.work.step(maxItems);
    this.out.flush();
    if (this.work.done) this.result = this.assemble.result();
    return this.result;
  }
}
