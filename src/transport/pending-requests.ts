// Requests sent to one peer that await their reply. Bounded in number; each has its own timeout,
// so every waiting caller is released by a reply, a timeout, or the connection's end.
import { TransportError } from "./errors.ts";

interface Waiter {
  resolve: (reply: Uint8Array) => void;
  reject: (error: TransportError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_ID = 0xffff_ffff;

export class PendingRequests {
  private readonly waiters = new Map<number, Waiter>();
  private lastId = 0;

  constructor(
    private readonly maxPending: number,
    private readonly peer: number,
  ) {}

  get size(): number {
    return this.waiters.size;
  }

  get full(): boolean {
    return this.waiters.size >= this.maxPending;
  }

  /** Reserve an id and a promise that settles on reply, error or after timeoutMs. */
  add(timeoutMs: number): { id: number; reply: Promise<Uint8Array> } {
    if (this.full) throw new Error(`pending requests to node ${this.peer} already at the bound ${this.maxPending}`);
    const id = this.freeId();
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new TransportError("timeout", `no reply from node ${this.peer} within ${timeoutMs} ms`);
        this.settle(id)?.reject(error);
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
    return { id, reply };
  }

  /** False when no request with that id waits (a late reply after a timeout). */
  resolve(id: number, reply: Uint8Array): boolean {
    const waiter = this.settle(id);
    waiter?.resolve(reply);
    return waiter !== undefined;
  }

  reject(id: number, error: TransportError): boolean {
    const waiter = this.settle(id);
    waiter?.reject(error);
    return waiter !== undefined;
  }

  rejectAll(error: TransportError): void {
    for (const id of [...this.waiters.keys()]) this.reject(id, error);
  }

  private settle(id: number): Waiter | undefined {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return undefined;
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    return waiter;
  }

  /** Ids wrap around; one still waiting is skipped (at most maxPending of them). */
  private freeId(): number {
    do {
      this.lastId = this.lastId >= MAX_ID ? 1 : this.lastId + 1;
    } while (this.waiters.has(this.lastId));
    return this.lastId;
  }
}
