// The state machine's memory of recent request ids and what applying each one answered, so a
// retried write is answered again instead of applied twice (Raft thesis §6.3). It changes only
// through apply, with the leader's timestamps as its clock, so every replica holds the same table;
// snapshots carry it. Bounded by ids, by records held in the remembered answers, and by age; the
// oldest entries go first. Apply order is kept in its own queue, not read off the Map's insertion
// order: a Map whose oldest keys keep being deleted leaves deleted slots at its front that every
// iteration from the start walks again (JavaScriptCore), which cost 100-250 µs per apply on every
// replica once the table was full.
import type { ApplyResult } from "./apply-result.ts";
import { MetadataInvariantError, invariant } from "./invariant.ts";
import { MAX_REMEMBERED_RECORDS, MAX_REMEMBERED_REQUESTS, REQUEST_MEMORY_MS } from "./limits.ts";

export interface RememberedRequest {
  readonly id: string;
  /** Fingerprint of what the request asked for (request-ids.ts). */
  readonly hash: string;
  /** Log offset of the entry that first carried the id. */
  readonly offset: number;
  /** That entry's timestamp (stamped by its leader), ms since the epoch. */
  readonly at: number;
  /** What applying it answered: its records, or the rule it broke (never an internal failure). */
  readonly result: ApplyResult;
}

export interface RequestTableBounds {
  maxRequests: number;
  maxRecords: number;
  maxAgeMs: number;
}

export const DEFAULT_REQUEST_BOUNDS: RequestTableBounds = {
  maxRequests: MAX_REMEMBERED_REQUESTS,
  maxRecords: MAX_REMEMBERED_RECORDS,
  maxAgeMs: REQUEST_MEMORY_MS,
};

/** Forgotten entries at the queue's head are dropped from the array past this many (and half of it). */
const COMPACT_AFTER = 1_024;

/** A known id: the same request again (answer the remembered result) or another one under it. */
export type Recall = { kind: "replay"; entry: RememberedRequest } | { kind: "reused"; entry: RememberedRequest };

export class RequestTable {
  private readonly entries = new Map<string, RememberedRequest>();
  /**
   * Apply order, oldest first, from `head` on. Invariant: order[head..] are exactly the entries of
   * the Map (only the oldest is ever forgotten), so order.length - head === entries.size.
   */
  private order: RememberedRequest[] = [];
  private head = 0;
  private records = 0;

  constructor(readonly bounds: RequestTableBounds = DEFAULT_REQUEST_BOUNDS) {
    const { maxRequests, maxRecords, maxAgeMs } = bounds;
    invariant([maxRequests, maxRecords, maxAgeMs].every((n) => Number.isSafeInteger(n) && n > 0), () => `bad request table bounds ${JSON.stringify(bounds)}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records held by the remembered results. */
  get heldRecords(): number {
    return this.records;
  }

  recall(id: string, hash: string): Recall | null {
    const entry = this.entries.get(id);
    if (entry === undefined) return null;
    return { kind: entry.hash === hash ? "replay" : "reused", entry };
  }

  /** Forgets what is older than the bound at `now` (the timestamp of the entry being applied). */
  expire(now: number): void {
    const horizon = now - this.bounds.maxAgeMs;
    while (this.head < this.order.length && this.order[this.head].at <= horizon) this.forgetOldest();
  }

  remember(entry: RememberedRequest): void {
    const weight = weightOf(entry);
    invariant(weight <= this.bounds.maxRecords, () => `a result of ${weight} records exceeds the bound of ${this.bounds.maxRecords}`);
    const frozen = Object.freeze(entry);
    // One lookup in the table, not has() and then set(): a known id would leave its size as it was.
    const size = this.entries.size;
    this.entries.set(entry.id, frozen);
    if (this.entries.size !== size + 1) this.refuseKnown(entry);
    this.order.push(frozen);
    this.records += weight;
    while (this.entries.size > this.bounds.maxRequests || this.records > this.bounds.maxRecords) this.forgetOldest();
    invariant(this.order.length - this.head === this.entries.size, () => `age queue holds ${this.order.length - this.head} entries, the table ${this.entries.size}`);
  }

  /** A known id was remembered again (a bug: apply recalls an id first): its first entry is put back, and that is said. */
  private refuseKnown(entry: RememberedRequest): never {
    const first = this.order.slice(this.head).find((e) => e.id === entry.id);
    if (first !== undefined) this.entries.set(entry.id, first);
    throw new MetadataInvariantError(`request id ${entry.id} remembered twice (offset ${entry.offset})`);
  }

  /** The entries in apply order (oldest first), for a snapshot. */
  inOrder(): IterableIterator<RememberedRequest> {
    return this.order.slice(this.head).values();
  }

  /**
   * The entries in apply order, as a copy that later applies do not change (entries are frozen, so
   * sharing them is safe). A list, not a Map by id: the snapshot only walks it, and building a Map
   * of a full table (50,000 entries) held the loop 9–60 ms when a snapshot began.
   */
  capture(): readonly RememberedRequest[] {
    return this.order.slice(this.head);
  }

  /** Rebuilds a table from a snapshot's entries, oldest first; duplicates are refused. */
  static fromEntries(entries: readonly RememberedRequest[], bounds: RequestTableBounds = DEFAULT_REQUEST_BOUNDS): RequestTable {
    const table = new RequestTable(bounds);
    for (const entry of entries) table.remember(entry);
    return table;
  }

  private forgetOldest(): void {
    const oldest = this.order[this.head];
    invariant(oldest !== undefined && this.entries.get(oldest.id) === oldest, () => `the oldest remembered request (queue slot ${this.head}) is not in the table`);
    this.entries.delete(oldest.id);
    this.records -= weightOf(oldest);
    this.head++;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

/** The records a remembered result holds (what the table's record bound counts). */
export function weightOf(entry: RememberedRequest): number {
  return entry.result.ok ? entry.result.records.length : 0;
}
