// Reads what snapshot-writer.ts wrote, in one pass over the bytes, checking every bound as it goes:
// a truncated or damaged snapshot throws a SnapshotFormatError naming the byte offset (the decoder
// turns it into a refusal), never an out-of-range read or a huge allocation.
import { MAX_REPLICAS } from "./limits.ts";
import { internReplicas } from "./replica-lists.ts";

export class SnapshotFormatError extends Error {}

/** Seven bits a byte: eight bytes hold 56 bits, past any safe integer. */
const MAX_VARINT_BYTES = 8;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class SnapshotReader {
  private pos: number;
  private readonly strings: string[] = [];
  private readonly lists: (readonly number[])[] = [];

  constructor(
    private readonly data: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos === this.data.length;
  }

  u8(): number {
    if (this.pos >= this.data.length) this.fail("the snapshot ends early");
    return this.data[this.pos++];
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail(`integer ${value} is past the safe range`);
        return value;
      }
      scale *= 0x80;
    }
    return this.fail("an integer runs past 8 bytes");
  }

  int(): number {
    if (this.data[this.pos] === 0x80 && this.data[this.pos + 1] === 0x00) {
      this.pos += 2;
      const magnitude = this.uint();
      if (magnitude === 0) this.fail("a negative zero");
      return -magnitude;
    }
    return this.uint();
  }

  /** A count of items that take at least one byte each: never more than the bytes left. */
  count(what: string): number {
    const n = this.uint();
    if (n > this.data.length - this.pos) this.fail(`${n} ${what} cannot fit in the ${this.data.length - this.pos} bytes left`);
    return n;
  }

  text(): string {
    const length = this.count("bytes of text");
    const bytes = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail("a string is not UTF-8");
    }
  }

  sharedText(): string {
    const ref = this.uint();
    if (ref === 0) {
      const value = this.text();
      this.strings.push(value);
      return value;
    }
    if (ref > this.strings.length) this.fail(`string reference ${ref - 1} is past the ${this.strings.length} strings seen`);
    return this.strings[ref - 1];
  }

  /** A replica list, frozen and shared with every equal one the image holds (replica-lists.ts). */
  list(): readonly number[] {
    const ref = this.uint();
    if (ref === 0) {
      const length = this.count("replica ids");
      if (length > MAX_REPLICAS) this.fail(`a replica list of ${length} ids is over the bound of ${MAX_REPLICAS}`);
      const ids: number[] = [];
      for (let i = 0; i < length; i++) ids.push(this.int());
      const list = internReplicas(ids);
      this.lists.push(list);
      return list;
    }
    if (ref > this.lists.length) this.fail(`list reference ${ref - 1} is past the ${this.lists.length} lists seen`);
    return this.lists[ref - 1];
  }

  fail(message: string): never {
    throw new SnapshotFormatError(`${message} (at byte ${this.pos})`);
  }
}
