// The bounded, in-memory tail of applied records, oldest first: the source of diffs and of the
// event log. When full it drops whole offsets (the records of one entry go together), and
// `floor` remembers the newest dropped offset: every record with offset > floor is held.
// Records and their parsed timestamps sit in two parallel arrays, not in a {record, ms} object
// each: at 500,000 held records such objects cost ~20 MiB of heap.
//
// Two bounds. A count, sized for partition storms: most records it holds are the image's own (a
// partition record stays the image's until it is replaced), so they cost the history nothing
// but a slot. And the bytes of the records only the history keeps alive (its own bytes): records
// the image never holds (a broker's registration change, a topic removal) from their append on,
// and records the image held, from when it replaces them. Without it, a steady stream of broker
// changes with long host names filled the count with records only the history held, ~300 MiB of
// heap on each node (issue 10's 60-s write rows).
import { invariant } from "./invariant.ts";
import { parseIsoStamp } from "./iso-stamp.ts";
import { recordBytes } from "./record-bytes.ts";
import type { MetadataRecord } from "./records.ts";

export class EventHistory {
  private items: MetadataRecord[] = [];
  /** Parsed timestamp of items[i], for time-based `since`. */
  private times: number[] = [];
  /** What items[i] weighs against the bytes bound: 0 while the image holds it too. */
  private weights: number[] = [];
  private head = 0;
  private dropped = 0;
  private own = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxOwnBytes: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(Number.isInteger(maxRecords) && maxRecords > 0)) throw new RangeError(`history size must be a positive integer, got ${maxRecords}`);
    if (!(maxOwnBytes > 0)) throw new RangeError(`history bytes bound must be positive, got ${maxOwnBytes}`);
  }

  /** Estimated bytes of the held records only the history keeps alive (record-bytes.ts). */
  get ownBytes(): number {
    return this.own;
  }

  /** Newest offset no longer held (0: nothing ever dropped). */
  get floor(): number {
    return this.dropped;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Forgets everything: the image was replaced by a snapshot taken at `floor`. */
  reset(floor: number): void {
    this.items = [];
    this.times = [];
    this.weights = [];
    this.head = 0;
    this.dropped = floor;
    this.own = 0;
  }

  /**
   * Records of one entry, all with one offset above every held one. `heldByImage` says which of
   * them the image holds now (the others weigh against the bytes bound at once).
   */
  append(records: readonly MetadataRecord[], heldByImage: (record: MetadataRecord) => boolean = () => true): void {
    if (records.length === 0) return;
    const offset = records[0].offset;
    const last = this.last();
    if ((last && last.offset >= offset) || offset <= this.dropped) {
      throw new Error(`history append out of order: offset ${offset} after ${last?.offset ?? this.dropped}`);
    }
    for (const record of records) {
      if (record.offset !== offset) throw new Error(`history append of offset ${offset} holds a record of offset ${record.offset}`);
    }
    // The records of one entry carry the leader's one stamp: parsed once, not once per record.
    let stamp = "";
    let ms = Number.NaN;
    for (const record of records) {
      if (record.timestamp !== stamp) {
        stamp = record.timestamp;
        ms = parseIsoStamp(stamp);
      }
      const weight = heldByImage(record) ? 0 : recordBytes(record);
      this.items.push(record);
      this.times.push(ms);
      this.weights.push(weight);
      this.own += weight;
    }
    invariant(this.items.length === this.times.length && this.items.length === this.weights.length, () => `history holds ${this.items.length} records but ${this.times.length} times and ${this.weights.length} weights`);
    this.trim();
  }

  /**
   * The image let these records go (newer records of their identities, or their topic removed):
   * those the history holds it now keeps alive alone, and they weigh. The next append trims.
   * Each offset's records are looked for in one pass over that offset's: a topic of 10,000
   * partitions created in one entry and removed in another is 10,000 records of one offset,
   * which a search per record would walk 10,000 times (~70 ms of one apply).
   */
  superseded(records: readonly MetadataRecord[]): void {
    if (records.length === 1) {
      const only = records[0];
      if (only.offset > this.dropped) this.weighOffset(only.offset, only);
      return;
    }
    const byOffset = new Map<number, Set<MetadataRecord>>();
    for (const record of records) {
      if (record.offset <= this.dropped) continue;
      let wanted = byOffset.get(record.offset);
      if (wanted === undefined) byOffset.set(record.offset, (wanted = new Set()));
      wanted.add(record);
    }
    for (const [offset, wanted] of byOffset) this.weighOffset(offset, wanted);
  }

  /** Weighs the held records of `offset` that are `wanted` (one record, or a set of them). */
  private weighOffset(offset: number, wanted: MetadataRecord | Set<MetadataRecord>): void {
    let left = wanted instanceof Set ? wanted.size : 1;
    for (let i = this.indexAfter(offset - 1); left > 0 && i < this.items.length && this.items[i].offset === offset; i++) {
      const item = this.items[i];
      if (wanted instanceof Set ? !wanted.has(item) : item !== wanted) continue;
      left--;
      if (this.weights[i] !== 0) continue;
      const weight = recordBytes(item);
      this.weights[i] = weight;
      this.own += weight;
    }
  }

  last(): MetadataRecord | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  first(): MetadataRecord | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  /** Records with offset > `offset`, oldest first, optionally only some names. */
  after(offset: number, keep?: (r: MetadataRecord) => boolean): MetadataRecord[] {
    const out: MetadataRecord[] = [];
    for (let i = this.indexAfter(offset); i < this.items.length; i++) {
      const record = this.items[i];
      if (!keep || keep(record)) out.push(record);
    }
    return out;
  }

  /** Whole offsets from `from` on, up to `limit` records (a first offset larger than that comes whole). */
  page(from: number, limit: number): MetadataRecord[] {
    const out: MetadataRecord[] = [];
    for (let i = this.indexAfter(from - 1); i < this.items.length; i++) {
      const record = this.items[i];
      const startsOffset = out.length === 0 || out[out.length - 1].offset !== record.offset;
      if (startsOffset && out.length > 0 && out.length + this.groupSize(i) > limit) break;
      out.push(record);
    }
    return out;
  }

  /** Timestamp (ms) of the newest held record with offset ≤ `offset`. */
  timeAtOrBefore(offset: number): number | undefined {
    const i = this.indexAfter(offset) - 1;
    return i >= this.head ? this.times[i] : undefined;
  }

  /** Timestamp (ms) of the oldest held record with offset > `offset`. */
  timeAfter(offset: number): number | undefined {
    const i = this.indexAfter(offset);
    return i < this.items.length ? this.times[i] : undefined;
  }

  /** Newest held offset whose record was stamped at or before `ms`. */
  offsetAtOrBeforeTime(ms: number): number | undefined {
    for (let i = this.items.length - 1; i >= this.head; i--) {
      if (this.times[i] <= ms) return this.items[i].offset;
    }
    return undefined;
  }

  /** Index of the first held record with offset > `offset` (binary search; offsets ascend). */
  private indexAfter(offset: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private groupSize(i: number): number {
    const offset = this.items[i].offset;
    let j = i;
    while (j < this.items.length && this.items[j].offset === offset) j++;
    return j - i;
  }

  private trim(): void {
    // The newest offset always stays, even when it alone exceeds a bound.
    while ((this.size > this.maxRecords || this.own > this.maxOwnBytes) && this.items[this.head].offset !== this.last()?.offset) {
      const offset = this.items[this.head].offset;
      while (this.items[this.head].offset === offset) {
        this.own -= this.weights[this.head];
        this.head++;
      }
      this.dropped = offset;
    }
    invariant(this.own >= 0, () => `history own bytes fell to ${this.own}`);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.times = this.times.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.head = 0;
    }
  }
}
