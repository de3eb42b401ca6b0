// A growable big-endian byte writer for the wire codecs. Growth is bounded: going past `maxBytes`
// throws, so a huge batch can never allocate without limit. The writer owns its buffer until
// finish(): a buffer it outgrew, or copied out of, is freed at once (owned-bytes.ts). Numbers are
// written into the bytes themselves, not through a DataView, which would make JavaScriptCore
// materialize an ArrayBuffer for every small message buffer (byte-reader.ts says the same).
import { EncodeError } from "./errors.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";

const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextEncoder();

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(
    private readonly maxBytes: number,
    initialBytes = 256,
  ) {
    this.buf = new Uint8Array(Math.min(initialBytes, maxBytes));
  }

  get length(): number {
    return this.pos;
  }

  u8(value: number, field: string): void {
    checkUint(value, 0xff, field);
    this.reserve(1);
    this.buf[this.pos] = value;
    this.pos += 1;
  }

  u16(value: number, field: string): void {
    checkUint(value, 0xffff, field);
    this.reserve(2);
    this.buf[this.pos] = value >>> 8;
    this.buf[this.pos + 1] = value & 0xff;
    this.pos += 2;
  }

  u32(value: number, field: string): void {
    checkUint(value, 0xffff_ffff, field);
    this.reserve(4);
    putUint32(this.buf, this.pos, value);
    this.pos += 4;
  }

  /** A non-negative safe integer (log indexes, terms, byte offsets) as two u32 halves. */
  u53(value: number, field: string): void {
    checkUint(value, Number.MAX_SAFE_INTEGER, field);
    this.reserve(8);
    putUint32(this.buf, this.pos, Math.floor(value / TWO_POW_32));
    putUint32(this.buf, this.pos + 4, value % TWO_POW_32);
    this.pos += 8;
  }

  /** u32 length, then the bytes. */
  bytes(value: Uint8Array, field: string): void {
    if (!(value instanceof Uint8Array)) throw new EncodeError(`${field} must be a Uint8Array, got ${typeof value}`);
    this.u32(value.length, `${field}.length`);
    this.raw(value);
  }

  /** u16 length, then UTF-8. */
  string(value: string, field: string): void {
    if (typeof value !== "string") throw new EncodeError(`${field} must be a string, got ${typeof value}`);
    const encoded = utf8.encode(value);
    this.u16(encoded.length, `${field}.length`);
    this.raw(encoded);
  }

  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * The bytes written, as a buffer of exactly their size: the writer's own when it was sized right,
   * else a copy, the writer's buffer freed (its spare room is not kept alive by the copy's owner).
   * Nothing is written after this.
   */
  finishExact(): Uint8Array {
    if (this.pos === this.buf.byteLength) return this.buf;
    const copy = this.buf.slice(0, this.pos);
    freeOwnedBytes(this.buf);
    return copy;
  }

  private reserve(n: number): void {
    const needed = this.pos + n;
    if (needed <= this.buf.length) return;
    if (needed > this.maxBytes) {
      throw new EncodeError(`encoded size ${needed} bytes exceeds the limit of ${this.maxBytes}`);
    }
    const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(needed, this.buf.length * 2)));
    grown.set(this.buf.subarray(0, this.pos));
    freeOwnedBytes(this.buf);
    this.buf = grown;
  }
}

/** Writes `value` (a checked u32) big-endian at `pos`. */
export function putUint32(b: Uint8Array, pos: number, value: number): void {
  b[pos] = value >>> 24;
  b[pos + 1] = (value >>> 16) & 0xff;
  b[pos + 2] = (value >>> 8) & 0xff;
  b[pos + 3] = value & 0xff;
}

function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new EncodeError(`${field} must be an integer in [0, ${max}], got ${String(value)}`);
  }
}
