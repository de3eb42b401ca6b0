// Freeing a buffer the transport owns: only a large one, only through a view of all of it, and
// only once; what was freed is recognised, so an encoder can refuse to send it.
import { describe, expect, test } from "bun:test";
import { FREE_AT_BYTES, freeOwnedBytes, isFreed } from "../../src/transport/owned-bytes.ts";

describe("owned bytes", () => {
  test("a large buffer seen whole is freed at once, and reads as empty after", () => {
    const bytes = new Uint8Array(FREE_AT_BYTES).fill(1);
    freeOwnedBytes(bytes);
    expect(isFreed(bytes)).toBe(true);
    expect(bytes.byteLength).toBe(0);
    freeOwnedBytes(bytes); // twice is harmless
    expect(isFreed(bytes)).toBe(true);
  });

  test("a view of part of a buffer is not taken for its owner: the buffer stays whole", () => {
    const whole = new Uint8Array(FREE_AT_BYTES * 2).fill(2);
    const part = whole.subarray(1);
    freeOwnedBytes(part);
    freeOwnedBytes(whole.subarray(0, FREE_AT_BYTES));
    expect(isFreed(whole)).toBe(false);
    expect(whole[FREE_AT_BYTES]).toBe(2);
  });

  test("a small buffer is left to the collector", () => {
    const small = new Uint8Array(FREE_AT_BYTES - 1).fill(3);
    freeOwnedBytes(small);
    expect(isFreed(small)).toBe(false);
    expect(small[0]).toBe(3);
  });
});
