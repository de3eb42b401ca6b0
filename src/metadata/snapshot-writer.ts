// Bytes of a binary snapshot (version 3, snapshot-format.ts), written into 64 KiB blocks that the
// encoder copies into one buffer at the end. Integers are LEB128 varints; a negative one is the
// non-canonical prefix 0x80 0x00 then its magnitude (no canonical varint starts so), so common
// non-negative values pay nothing for a sign. Repeated strings (timestamps, leaders, hosts,
// statuses) and replica lists go through tables: the first occurrence is written inline and
// numbered, later ones as a reference. Tables are keyed by content, so equal images give equal
// bytes however their lists happen to be shared in memory.
import { invariant } from "./invariant.ts";

const BLOCK_BYTES = 64 * 1024;
/** A varint of a safe integer plus the sign prefix. */
const MAX_INT_BYTES = 10;
const utf8 = new TextEncoder();

export class SnapshotWriter {
  readonly chunks: Uint8Array[] = [];
  private block = new Uint8Array(BLOCK_BYTES);
  private pos = 0;
  private readonly strings = new Map<string, number>();
  private readonly listsByKey = new Map<string, number>();
  /** The same list object again skips building its key (lists are interned, so this is the usual case). */
  private readonly listsBySeen = new Map<readonly number[], number>();

  u8(value: number): void {
    this.reserve(1);
    this.block[this.pos++] = value;
  }

  /** A non-negative safe integer. */
  uint(value: number): void {
    invariant(Number.isSafeInteger(value) && value >= 0, () => `snapshot varint needs a non-negative safe integer, got ${value}`);
    this.reserve(MAX_INT_BYTES);
    let n = value;
    while (n >= 0x80) {
      this.block[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.block[this.pos++] = n;
  }

  /** Any safe integer. */
  int(value: number): void {
    invariant(Number.isSafeInteger(value), () => `snapshot integer must be a safe integer, got ${value}`);
    if (value >= 0) return this.uint(value);
    this.u8(0x80);
    this.u8(0x00);
    this.uint(-value);
  }

  /** A string written where it stands (names, UUIDs: unique, so a table would only grow). */
  text(value: string): void {
    const bytes = utf8.encode(value);
    this.uint(bytes.length);
    this.raw(bytes);
  }

  /** A string that repeats: 0 then the string the first time, its number + 1 after. */
  sharedText(value: string): void {
    const known = this.strings.get(value);
    if (known !== undefined) return this.uint(known + 1);
    this.strings.set(value, this.strings.size);
    this.uint(0);
    this.text(value);
  }

  /** A replica list, tabled like sharedText. */
  list(ids: readonly number[]): void {
    let known = this.listsBySeen.get(ids);
    if (known === undefined) {
      const key = ids.join(",");
      known = this.listsByKey.get(key);
      if (known === undefined) {
        this.listsBySeen.set(ids, this.listsByKey.size);
        this.listsByKey.set(key, this.listsByKey.size);
        this.uint(0);
        this.uint(ids.length);
        for (const id of ids) this.int(id);
        return;
      }
      this.listsBySeen.set(ids, known);
    }
    this.uint(known + 1);
  }

  /** The bytes of the block being filled become a chunk (at the end, or between slices). */
  flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.block.subarray(0, this.pos));
    this.block = this.block.subarray(this.pos);
    this.pos = 0;
    if (this.block.length < MAX_INT_BYTES) this.block = new Uint8Array(BLOCK_BYTES);
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.block.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.block.length) return;
    this.flush();
    if (bytes > this.block.length) this.block = new Uint8Array(Math.max(BLOCK_BYTES, bytes));
  }
}
