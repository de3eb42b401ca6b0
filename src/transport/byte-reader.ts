// A bounds-checked big-endian reader for the wire codecs: every read checks what is left and
// throws DecodeError, so hostile input can neither crash the process nor make it allocate. Numbers
// are read from the bytes themselves, not through a DataView: a DataView needs the array's
// ArrayBuffer, which JavaScriptCore materializes (a copy) for every small freshly sliced frame body.
import { DecodeError } from "./errors.ts";

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high half of a u53 that keeps the value a safe integer. */
const MAX_SAFE_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / TWO_POW_32);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(field: string): number {
    this.need(1, field);
    const value = this.buf[this.pos];
    this.pos += 1;
    return value;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const value = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = uint32At(this.buf, this.pos);
    this.pos += 4;
    return value;
  }

  u53(field: string): number {
    this.need(8, field);
    const high = uint32At(this.buf, this.pos);
    const low = uint32At(this.buf, this.pos + 4);
    if (high > MAX_SAFE_HIGH) throw new DecodeError(`${field} exceeds the largest safe integer`);
    this.pos += 8;
    return high * TWO_POW_32 + low;
  }

  /** u32 length, then that many bytes, copied (the source buffer may be reused by the socket). */
  bytes(field: string): Uint8Array {
    return this.view(field).slice();
  }

  /**
   * u32 length, then that many bytes as a view into the reader's buffer, not a copy: only for a
   * buffer its owner hands over for good (a received frame's body), which the view then keeps alive.
   */
  view(field: string): Uint8Array {
    const length = this.u32(`${field}.length`);
    this.need(length, field);
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** Exactly `length` bytes with no length prefix (nonces, MACs), copied. */
  fixed(length: number, field: string): Uint8Array {
    this.need(length, field);
    const value = this.buf.slice(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** u16 length, then UTF-8; invalid UTF-8 is rejected. */
  string(field: string): string {
    const length = this.u16(`${field}.length`);
    this.need(length, field);
    let value: string;
    try {
      value = utf8.decode(this.buf.subarray(this.pos, this.pos + length));
    } catch {
      throw new DecodeError(`${field} is not valid UTF-8`);
    }
    this.pos += length;
    return value;
  }

  /** A count of items each at least `minItemBytes` long: bounded by what is left, so no huge allocation. */
  count(field: string, minItemBytes: number): number {
    const n = this.u32(field);
    if (n * minItemBytes > this.remaining) {
      throw new DecodeError(`${field} ${n} cannot fit in the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** Trailing bytes mean the sender and receiver disagree on the layout. */
  end(what: string): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} unexpected trailing bytes after ${what}`);
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`truncated: ${field} needs ${n} bytes, ${this.remaining} left`);
    }
  }
}

/** The big-endian u32 at `pos` (the caller checked that four bytes are there). */
export function uint32At(b: Uint8Array, pos: number): number {
  return ((b[pos] << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8) | b[pos + 3]) >>> 0;
}
