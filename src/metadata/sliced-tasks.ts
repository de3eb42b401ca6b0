// The tasks that every sliced encoder is built of (the binary snapshot, snapshot-encoder.ts; the
// streamed JSON image, sliced-json.ts): each does at most a budget of items of work per step, so
// a large image is encoded between the node's other work, never in one go.
import type { ImageCapture } from "./image.ts";
import { IncrementalSort } from "./incremental-sort.ts";
import { invariant } from "./invariant.ts";
import type { PartitionRecord, TopicRecord } from "./records.ts";

/** Merge-sort moves that count as one item when the items are records written as JSON: a move costs a small fraction of encoding a record (measured ~1/30). */
export const JSON_SORT_MOVES_PER_ITEM = 8;

/** One piece of the work; step() either does some work or finishes (never neither). */
export interface Task {
  readonly done: boolean;
  /** Does at most `budget` (≥ 1) items of work; returns how many. */
  step(budget: number): number;
}

/** Records out of a captured map, then sorted; both phases budgeted. */
export class SortedRecords<T> implements Task {
  private readonly collected: T[] = [];
  private sort: IncrementalSort<T> | null = null;

  constructor(
    private readonly source: Iterator<T>,
    private readonly compare: (a: T, b: T) => number,
    /** Merge-sort moves that count as one item of work (what a move costs against the caller's items). */
    private readonly movesPerItem: number = JSON_SORT_MOVES_PER_ITEM,
  ) {
    invariant(Number.isInteger(movesPerItem) && movesPerItem >= 1, () => `movesPerItem must be a positive integer, got ${movesPerItem}`);
  }

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
      const moves = Math.min(Number.MAX_SAFE_INTEGER, (budget - work) * this.movesPerItem);
      work += Math.ceil(this.sort.step(moves) / this.movesPerItem);
    }
    return work;
  }

  result(): T[] {
    invariant(this.sort !== null, () => `records asked for before all ${this.collected.length} were collected`);
    return this.sort.result();
  }
}

/** Runs tasks in order, created lazily (a task may need an earlier one's result). */
export class Sequence implements Task {
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
      const given = budget - work;
      const used = this.current.step(given);
      invariant(used > 0 || this.current.done, () => `sliced task ${this.index} made no progress`);
      work += used;
      if (this.current.done) {
        this.current = null;
        this.index++;
      } else if (used < given) {
        // The task stopped short: its next piece (a heavy record, a big chunk) does not fit in
        // what is left. Asked again now, it would take that piece as a step's first and go over.
        break;
      }
    }
    return work;
  }
}

/** A topic's captured partitions, sorted by partition id (budgeted). */
function sortedPartitions(byId: ReadonlyMap<number, PartitionRecord>, movesPerItem: number): SortedRecords<PartitionRecord> {
  return new SortedRecords(byId.values(), (a, b) => a.fields.partitionId - b.fields.partitionId, movesPerItem);
}

export interface TopicPartitionsOptions {
  /** Called as each topic's turn comes, before its partitions are sorted (a binary encoder writes the topic there). */
  start?: (topic: TopicRecord, partitions: number) => void;
  /** Merge-sort moves that count as one item of work. */
  movesPerItem?: number;
}

/**
 * Every partition, topic by topic in the topics' order, each topic's sorted by partition id, handed
 * to `then` (write them, or append them to a list).
 */
export class TopicPartitions implements Task {
  private topic = 0;
  private current: Sequence | null = null;

  constructor(
    private readonly capture: ImageCapture,
    private readonly topics: () => readonly TopicRecord[],
    private readonly then: (sorted: () => readonly PartitionRecord[]) => Task,
    private readonly options: TopicPartitionsOptions = {},
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
      if (work < budget) {
        const given = budget - work;
        const used = this.current.step(given);
        work += used;
        if (!this.current.done && used < given) break; // stopped short, as in Sequence
      }
      if (this.current.done) {
        this.current = null;
        this.topic++;
      }
    }
    return work;
  }

  private topicTask(topic: TopicRecord): Sequence {
    const byId = this.capture.partitions.get(topic.fields.topicUUID)?.byId ?? new Map<number, PartitionRecord>();
    this.options.start?.(topic, byId.size);
    const sorted = sortedPartitions(byId, this.options.movesPerItem ?? JSON_SORT_MOVES_PER_ITEM);
    return new Sequence([() => sorted, () => this.then(() => sorted.result())]);
  }
}
