// One topic's partitions by partition id, as the image holds them. Topics nearly always number
// their partitions 0..n-1, so those sit in a plain array indexed by id (8 bytes a slot); an id far
// past them (ids go up to 2^31-1) goes to a Map instead, so no id can make the array huge. A JSC
// Map costs ~100 bytes an entry (measured: 1M partitions in 10,000 Maps of 100 held ~100 MiB that
// the array does not). Iteration is always in ascending id order, whatever order the partitions
// came in, so a node that loaded a snapshot walks a topic the same way as one that applied the log.
import { invariant } from "./invariant.ts";
import type { PartitionRecord } from "./records.ts";

/** Holes a new id may open past the array's end before it goes to the Map instead. */
const MAX_GAP = 8;

export class PartitionTable implements ReadonlyMap<number, PartitionRecord> {
  /** Records at their id; `undefined` is a hole (an id not created, or one held in `far`). */
  private readonly dense: (PartitionRecord | undefined)[];
  /** Ids too far past the array when they came; null while there is none (nearly always). */
  private far: Map<number, PartitionRecord> | null;
  private count: number;

  /** An empty table, or a copy of `from` that later sets do not share (copy-on-write). */
  constructor(from?: PartitionTable) {
    this.dense = from ? from.dense.slice() : [];
    this.far = from?.far ? new Map(from.far) : null;
    this.count = from?.count ?? 0;
  }

  get size(): number {
    return this.count;
  }

  get(id: number): PartitionRecord | undefined {
    return this.dense[id] ?? this.far?.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds or replaces the partition `id`. */
  set(id: number, record: PartitionRecord): this {
    invariant(Number.isSafeInteger(id) && id >= 0, () => `partition id ${id} is not a non-negative integer`);
    invariant(record.fields.partitionId === id, () => `partition ${record.fields.partitionId} stored under id ${id}`);
    if (this.far?.has(id)) {
      this.far.set(id, record);
      return this;
    }
    if (id < this.dense.length + MAX_GAP) {
      if (this.dense[id] === undefined) this.count++;
      // Holes are pushed as undefined, so the array stays contiguous (never a sparse one).
      while (this.dense.length < id) this.dense.push(undefined);
      this.dense[id] = record;
      return this;
    }
    this.far ??= new Map();
    this.far.set(id, record);
    this.count++;
    return this;
  }

  *values(): MapIterator<PartitionRecord> {
    if (this.far === null) {
      for (const record of this.dense) if (record !== undefined) yield record;
      return;
    }
    for (const [, record] of this.merged()) yield record;
  }

  *keys(): MapIterator<number> {
    for (const record of this.values()) yield record.fields.partitionId;
  }

  *entries(): MapIterator<[number, PartitionRecord]> {
    for (const record of this.values()) yield [record.fields.partitionId, record];
  }

  [Symbol.iterator](): MapIterator<[number, PartitionRecord]> {
    return this.entries();
  }

  /** A plain loop over the array, no generator (a generator step costs several times a call). */
  forEach(fn: (value: PartitionRecord, key: number, map: ReadonlyMap<number, PartitionRecord>) => void): void {
    if (this.far !== null) {
      for (const [id, record] of this.merged()) fn(record, id, this);
      return;
    }
    const dense = this.dense;
    for (let id = 0; id < dense.length; id++) {
      const record = dense[id];
      if (record !== undefined) fn(record, id, this);
    }
  }

  /** Both parts in ascending id order (the far ids are few: sorting them per walk is cheap). */
  private *merged(): Generator<[number, PartitionRecord]> {
    const far = [...(this.far ?? [])].sort((a, b) => a[0] - b[0]);
    let f = 0;
    for (let id = 0; id < this.dense.length; id++) {
      const record = this.dense[id];
      if (record === undefined) continue;
      while (f < far.length && far[f][0] < id) yield far[f++];
      yield [id, record];
    }
    while (f < far.length) yield far[f++];
  }
}
