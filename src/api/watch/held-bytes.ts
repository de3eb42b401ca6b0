// The count the watch hub keeps its total bound against (watch-hub.ts).
/**
 * The bytes a hub's watchers hold unsent, as held in memory: each queued chunk once, however many
 * watchers queue it (the events of one change are encoded once for all), plus what each watcher
 * holds alone (the chunk its stream's consumer is writing, the events held behind a snapshot).
 */
export class HeldBytes {
  /** Queued chunks and how many times watchers queue each. */
  private readonly holders = new Map<Uint8Array, number>();
  /** Bytes of the distinct queued chunks. */
  shared = 0;
  /** Bytes held by one watcher each. */
  own = 0;

  get total(): number {
    return this.shared + this.own;
  }

  hold(chunk: Uint8Array): void {
    const n = this.holders.get(chunk);
    if (n === undefined) {
      this.holders.set(chunk, 1);
      this.shared += chunk.byteLength;
    } else {
      this.holders.set(chunk, n + 1);
    }
  }

  letGo(chunk: Uint8Array): void {
    const n = this.holders.get(chunk) ?? 0;
    if (n > 1) {
      this.holders.set(chunk, n - 1);
    } else if (n === 1) {
      this.holders.delete(chunk);
      this.shared -= chunk.byteLength;
    }
  }

  holdersOf(chunk: Uint8Array): number {
    return this.holders.get(chunk) ?? 0;
  }
}
