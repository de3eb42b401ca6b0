// SnapshotBytes: an encoded snapshot handed to the store in chunks of a fixed size. Handed-over
// pieces are copied into one reused chunk buffer and each piece's buffer is freed exactly when all
// of it is copied (not before: a later view of the same buffer still needs it); a borrowed buffer
// is handed out as views and never freed.
import { describe, expect, test } from "bun:test";
import { SnapshotBytes } from "../../src/node/snapshot-bytes.ts";
import { seededRandom } from "../support/seeded-random.ts";

const detached = (bytes: Uint8Array) => (bytes.buffer as ArrayBuffer).detached;

/** Pieces as an encoder leaves them: runs of views of shared blocks, blocks of varied sizes. */
function piecesOf(random: () => number, blocks: number): { pieces: Uint8Array[]; whole: number[] } {
  const pieces: Uint8Array[] = [];
  const whole: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const block = new Uint8Array(1 + Math.floor(random() * 50));
    for (let i = 0; i < block.length; i++) block[i] = Math.floor(random() * 256);
    let at = 0;
    while (at < block.length) {
      const end = Math.min(block.length, at + 1 + Math.floor(random() * 20));
      pieces.push(block.subarray(at, end));
      whole.push(...block.subarray(at, end));
      at = end;
    }
  }
  return { pieces, whole };
}

describe("SnapshotBytes", () => {
  test("handed over: chunks of the chunk size (the last shorter) that add up to the pieces, each buffer freed once fully copied", () => {
    const random = seededRandom(804_501);
    for (let run = 0; run < 50; run++) {
      const { pieces, whole } = piecesOf(random, 1 + Math.floor(random() * 8));
      const chunkBytes = 1 + Math.floor(random() * 64);
      // Where each piece ends in the whole, and whether it is its buffer's last view (read before any is freed: a freed view reads as empty).
      let at = 0;
      const ends = pieces.map((p) => (at += p.byteLength));
      const last = pieces.map((p, i) => pieces[i + 1]?.buffer !== p.buffer);
      const bytes = SnapshotBytes.handedOver(pieces, chunkBytes);
      expect(bytes.size).toBe(whole.length);
      const out: number[] = [];
      const chunkBuffers = new Set<ArrayBufferLike>();
      while (!bytes.done) {
        const chunk = bytes.next();
        expect(chunk.byteLength).toBe(Math.min(chunkBytes, whole.length - out.length));
        chunkBuffers.add(chunk.buffer);
        out.push(...chunk);
        // A buffer is freed exactly when its last view lies within what was handed out.
        pieces.forEach((p, i) => {
          if (last[i]) expect(detached(p)).toBe(ends[i] <= out.length);
        });
      }
      expect(out).toEqual(whole);
      expect(chunkBuffers.size).toBe(1); // one chunk buffer, reused
      expect(pieces.every(detached)).toBe(true);
    }
  });

  test("handed over, released before the end: everything is freed and nothing more is handed out", () => {
    const { pieces } = piecesOf(seededRandom(804_502), 4);
    const bytes = SnapshotBytes.handedOver(pieces, 8);
    bytes.next();
    expect(pieces.every(detached)).toBe(false);
    bytes.release();
    expect(pieces.every(detached)).toBe(true);
    expect(bytes.done).toBe(true);
    expect(() => bytes.next()).toThrow("handed out already");
  });

  test("borrowed: views of the one buffer, in order, and the buffer is never freed", () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const bytes = SnapshotBytes.borrowed(data, 30);
    const chunks: Uint8Array[] = [];
    while (!bytes.done) chunks.push(bytes.next());
    expect(chunks.map((c) => c.byteLength)).toEqual([30, 30, 30, 10]);
    expect(chunks.every((c) => c.buffer === data.buffer)).toBe(true);
    bytes.release();
    expect(detached(data)).toBe(false);
    expect([...data]).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test("an empty snapshot is done at once; a chunk size that is not a positive whole number is refused", () => {
    expect(SnapshotBytes.handedOver([], 8).done).toBe(true);
    expect(SnapshotBytes.borrowed(new Uint8Array(0), 8).size).toBe(0);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => SnapshotBytes.handedOver([new Uint8Array(1)], bad)).toThrow("positive whole number");
  });
});
