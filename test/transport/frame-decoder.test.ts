// The frame decoder: frames split across chunks, coalesced in one chunk, and bad lengths or kinds.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DecodeError } from "../../src/transport/errors.ts";
import { encodeFrame, FrameKind } from "../../src/transport/frame.ts";
import type { Frame } from "../../src/transport/frame.ts";
import { FrameDecoder } from "../../src/transport/frame-decoder.ts";
import { FREE_AT_BYTES } from "../../src/transport/owned-bytes.ts";

const MAX = 4096;
const kinds = Object.values(FrameKind);

function frames(): fc.Arbitrary<Frame[]> {
  return fc.array(
    fc.record({ kind: fc.constantFrom(...kinds), body: fc.uint8Array({ maxLength: 300 }) }),
    { minLength: 1, maxLength: 8 },
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

describe("frame decoder", () => {
  test("any split of a stream of frames yields the same frames in order (seeded)", () => {
    fc.assert(
      fc.property(frames(), fc.array(fc.nat(), { maxLength: 20 }), (input, cuts) => {
        const stream = concat(input.map((f) => encodeFrame(f.kind, [f.body], MAX)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder(MAX);
        const out: Frame[] = [];
        let last = 0;
        for (const p of [...points, stream.length]) {
          out.push(...decoder.push(stream.slice(last, p)));
          last = p;
        }
        expect(out).toEqual(input);
        expect(decoder.buffered).toBe(0);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  test("byte-at-a-time delivery and a reused chunk buffer do not corrupt frames", () => {
    const input = [
      encodeFrame(FrameKind.Request, [new Uint8Array([1, 2, 3])], MAX),
      encodeFrame(FrameKind.Reply, [], MAX),
    ];
    const stream = concat(input);
    const decoder = new FrameDecoder(MAX);
    const shared = new Uint8Array(1);
    const out: Frame[] = [];
    for (const byte of stream) {
      shared[0] = byte;
      out.push(...decoder.push(shared));
    }
    expect(out).toEqual([
      { kind: FrameKind.Request, body: new Uint8Array([1, 2, 3]) },
      { kind: FrameKind.Reply, body: new Uint8Array() },
    ]);
  });

  test("a frame larger than the cap is rejected as soon as its header arrives", () => {
    const header = new Uint8Array([0, 0, 0x10, 0x01, FrameKind.Messages]);
    expect(() => new FrameDecoder(MAX).push(header)).toThrow(DecodeError);
  });

  test("a zero length and an unknown kind are rejected", () => {
    expect(() => new FrameDecoder(MAX).push(new Uint8Array([0, 0, 0, 0, 1]))).toThrow(DecodeError);
    expect(() => new FrameDecoder(MAX).push(new Uint8Array([0, 0, 0, 1, 99]))).toThrow(DecodeError);
  });

  test("a frame of exactly the cap passes; encodeFrame refuses one byte more", () => {
    const body = new Uint8Array(MAX - 1);
    const decoder = new FrameDecoder(MAX);
    expect(decoder.push(encodeFrame(FrameKind.Messages, [body], MAX))).toHaveLength(1);
    expect(() => encodeFrame(FrameKind.Messages, [body, new Uint8Array(1)], MAX)).toThrow();
  });

  test("a partial frame stays buffered until its last byte", () => {
    const frame = encodeFrame(FrameKind.Request, [new Uint8Array(100)], MAX);
    const decoder = new FrameDecoder(MAX);
    expect(decoder.push(frame.subarray(0, 104))).toEqual([]);
    expect(decoder.buffered).toBe(104);
    expect(decoder.push(frame.subarray(104))).toHaveLength(1);
  });

  test("a frame far larger than the buffer, fed in small chunks, decodes whole while the buffer grows (outgrown buffers are freed)", () => {
    const big = Uint8Array.from({ length: 3 * FREE_AT_BYTES + 17 }, (_, i) => (i * 5 + (i >> 10)) & 0xff);
    const wire = concat([encodeFrame(FrameKind.Messages, [big], 1 << 20), encodeFrame(FrameKind.Reply, [new Uint8Array([9])], 1 << 20)]);
    const decoder = new FrameDecoder(1 << 20);
    const got: Frame[] = [];
    for (let at = 0; at < wire.length; at += 10_000) got.push(...decoder.push(wire.subarray(at, at + 10_000)));
    expect(got).toEqual([
      { kind: FrameKind.Messages, body: big },
      { kind: FrameKind.Reply, body: new Uint8Array([9]) },
    ]);
    expect(decoder.buffered).toBe(0);
  });
});
