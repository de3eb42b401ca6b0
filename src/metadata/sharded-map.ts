// A map split into shards, so a frozen view of it costs O(shards), not O(entries). The image
// captures its topics, partition slots and producers for every snapshot; with 500,000 topics or
// 1,000,000 producer ids, copying whole Maps held the event loop for ~40 ms per map. Here a
// capture copies the list of 256 shards, and a shard is copied only before its next change
// (1/256 of the entries), so neither the capture nor a later write pauses for long.
// Iteration is shard by shard, insertion order within a shard: deterministic, never sorted.

const SHARDS = 256;

function shardOf(key: string | number): number {
  if (typeof key === "number") return Math.abs(key % SHARDS);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return h & (SHARDS - 1);
}

/** A view over shards that nobody changes any more. */
class ShardView<K extends string | number, V> implements ReadonlyMap<K, V> {
  constructor(
    protected shards: Map<K, V>[],
    protected count: number,
  ) {}

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return this.shards[shardOf(key)].get(key);
  }

  has(key: K): boolean {
    return this.shards[shardOf(key)].has(key);
  }

  *entries(): MapIterator<[K, V]> {
    for (const shard of this.shards) yield* shard.entries();
  }

  *keys(): MapIterator<K> {
    for (const shard of this.shards) yield* shard.keys();
  }

  *values(): MapIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

export class ShardedMap<K extends string | number, V> extends ShardView<K, V> {
  /** The freeze() count when each shard was last copied: a shard from before the last freeze is shared. */
  private readonly copiedAt: number[] = new Array<number>(SHARDS).fill(0);
  private freezes = 0;

  constructor() {
    super(Array.from({ length: SHARDS }, () => new Map<K, V>()), 0);
  }

  set(key: K, value: V): void {
    const shard = this.writable(shardOf(key));
    if (!shard.has(key)) this.count++;
    shard.set(key, value);
  }

  delete(key: K): boolean {
    const i = shardOf(key);
    if (!this.shards[i].has(key)) return false;
    this.writable(i).delete(key);
    this.count--;
    return true;
  }

  /** A view that later changes never reach. */
  freeze(): ReadonlyMap<K, V> {
    this.freezes++;
    return new ShardView(this.shards.slice(), this.count);
  }

  private writable(i: number): Map<K, V> {
    if (this.copiedAt[i] !== this.freezes) {
      this.shards[i] = new Map(this.shards[i]);
      this.copiedAt[i] = this.freezes;
    }
    return this.shards[i];
  }
}
