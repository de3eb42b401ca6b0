// The Raft message codec: every field survives a round trip, and truncated, garbage or oversize
// input is rejected with DecodeError / EncodeError, never a crash or a wrong message.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MESSAGE_TYPES } from "../../src/raft/types.ts";
import type { Entry, Membership, Message, SnapshotChunk } from "../../src/raft/types.ts";
import { DecodeError, EncodeError } from "../../src/transport/errors.ts";
import { CODEC_VERSION, decodeMessages, encodeMessage, encodeMessages, expectedMessageBytes } from "../../src/transport/message-codec.ts";
import { msg } from "./helpers.ts";

const MAX = 1 << 20;
const u53 = fc.maxSafeNat();
const nodeId = fc.nat({ max: 0xffff_ffff });
const bytes = fc.uint8Array({ maxLength: 64 });

const entry: fc.Arbitrary<Entry> = fc.record({
  index: u53,
  term: u53,
  type: fc.constantFrom("normal" as const, "config" as const),
  data: bytes,
});

const membership: fc.Arbitrary<Membership> = fc.record(
  {
    voters: fc.array(nodeId, { maxLength: 5 }),
    learners: fc.array(nodeId, { maxLength: 3 }),
    addresses: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), { maxKeys: 4 }),
    directoryIds: fc.dictionary(fc.string({ maxLength: 12 }), fc.uuid(), { minKeys: 1, maxKeys: 4 }),
  },
  { requiredKeys: ["voters", "learners", "addresses"] },
);

const chunk: fc.Arbitrary<SnapshotChunk> = fc
  .record({
    index: u53,
    term: u53,
    membership,
    data: bytes,
    offset: fc.nat(1_000_000),
    extra: fc.nat(1_000),
    done: fc.boolean(),
  })
  .map(({ index, term, membership, data, offset, extra, done }) => ({
    meta: { index, term, membership },
    offset,
    total: offset + data.length + extra,
    data,
    done,
  }));

const message: fc.Arbitrary<Message> = fc.record({
  type: fc.constantFrom(...MESSAGE_TYPES),
  from: nodeId,
  to: nodeId,
  term: u53,
  logTerm: u53,
  index: u53,
  entries: fc.array(entry, { maxLength: 4 }),
  commit: u53,
  reject: fc.boolean(),
  rejectHint: u53,
  context: u53,
  force: fc.boolean(),
  snapshot: fc.option(chunk, { nil: null }),
  directoryId: fc.oneof(fc.constant(""), fc.uuid()),
});

function fullMessage(): Message {
  return msg("Snap", 3, 4, 9, {
    logTerm: 8,
    index: Number.MAX_SAFE_INTEGER,
    commit: 2 ** 40,
    reject: true,
    rejectHint: 17,
    context: 99,
    force: true,
    entries: [
      { index: 5, term: 2, type: "config", data: new Uint8Array([1, 2, 3]) },
      { index: 6, term: 2, type: "normal", data: new Uint8Array() },
    ],
    snapshot: {
      meta: {
        index: 100,
        term: 8,
        membership: { voters: [1, 2, 3], learners: [4], addresses: { "1": "a:1", "4": "[::1]:9" } },
      },
      offset: 10,
      total: 20,
      data: new Uint8Array([7, 7]),
      done: false,
    },
  });
}

function expectDecodeError(body: Uint8Array): void {
  expect(() => decodeMessages(body)).toThrow(DecodeError);
}

describe("message codec", () => {
  test("round-trips arbitrary batches (seeded)", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (msgs) => {
        expect(decodeMessages(encodeMessages(msgs, MAX))).toEqual(msgs);
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });

  test("round-trips every field of a full message, including a __proto__ address key", () => {
    const m = fullMessage();
    Object.defineProperty(m.snapshot!.meta.membership.addresses, "__proto__", { value: "x:1", enumerable: true });
    const [back] = decodeMessages(encodeMessages([m], MAX));
    expect(back).toEqual(m);
    expect(Object.keys(back!.snapshot!.meta.membership.addresses)).toContain("__proto__");
  });

  test("the writer starts at a message's exact size, so an append is written once, not copied per doubling", () => {
    const entries: Entry[] = Array.from({ length: 40 }, (_, i) => ({ index: 100 + i, term: 3, type: "normal", data: new Uint8Array(300 + i).fill(i) }));
    const app = msg("App", 1, 2, 3, { index: 99, logTerm: 3, commit: 97, entries, directoryId: "0b2b6bf2-600d-4388-9fc3-62309f8648c0" });
    for (const m of [app, msg("Heartbeat", 1, 2, 3), msg("AppResp", 2, 1, 3, { index: 139 })]) {
      const bytes = encodeMessage(m, MAX);
      expect(expectedMessageBytes(m)).toBe(bytes.byteLength);
      expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
      const [back] = decodeMessages(encodeMessages([m], MAX));
      expect(back).toEqual(m);
    }
  });

  test("a snapshot chunk message is sized exactly too, so its 1 MiB is written once (seeded, ASCII ids and addresses)", () => {
    const data = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const chunkOf = (membership: Membership): SnapshotChunk => ({ meta: { index: 9, term: 2, membership }, offset: 0, total: 3 << 20, data, done: false });
    const ascii = fc.string({ maxLength: 24 }).filter((t) => /^[\x00-\x7f]*$/.test(t));
    const asciiMembership = fc.record({
      voters: fc.array(nodeId, { maxLength: 5 }),
      learners: fc.array(nodeId, { maxLength: 3 }),
      addresses: fc.dictionary(ascii, ascii, { maxKeys: 4 }),
      directoryIds: fc.dictionary(ascii, fc.uuid(), { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(asciiMembership, fc.oneof(fc.constant(""), fc.uuid()), (membership, directoryId) => {
        const m = msg("Snap", 1, 2, 3, { snapshot: chunkOf(membership), directoryId });
        const bytes = encodeMessage(m, 2 << 20);
        expect(bytes.byteLength).toBe(expectedMessageBytes(m));
        expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
        expect(decodeMessages(encodeMessages([m], 2 << 20))[0]!.snapshot!.data).toEqual(data);
      }),
      { seed: 20261207, numRuns: 40 },
    );
  });

  test("a wrong size guess (non-ASCII address) still encodes right, into a buffer of its own size", () => {
    const m = fullMessage();
    m.snapshot!.meta.membership.addresses["1"] = "hôte-é:1";
    const bytes = encodeMessage(m, MAX);
    expect(bytes.byteLength).toBeGreaterThan(expectedMessageBytes(m));
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    expect(decodeMessages(encodeMessages([m], MAX))[0]).toEqual(m);
  });

  test("a snapshot chunk whose bytes were freed is refused (EncodeError), never sent as an empty chunk", () => {
    const m = fullMessage();
    (m.snapshot!.data.buffer as ArrayBuffer).transfer(0);
    expect(() => encodeMessage(m, MAX)).toThrow(/already freed/);
  });

  test("every strict prefix of an encoded batch is rejected", () => {
    const body = encodeMessages([fullMessage(), msg("Heartbeat", 1, 2, 3)], MAX);
    for (let cut = 0; cut < body.length; cut++) expectDecodeError(body.subarray(0, cut));
  });

  test("trailing bytes, a wrong version and unknown tags are rejected", () => {
    const body = encodeMessages([msg("Vote", 1, 2, 3)], MAX);
    expectDecodeError(new Uint8Array([...body, 0]));
    expectDecodeError(new Uint8Array([CODEC_VERSION + 1, ...body.subarray(1)]));
    const badType = body.slice();
    badType[5] = MESSAGE_TYPES.length;
    expectDecodeError(badType);
    const badFlags = body.slice();
    badFlags[5 + 1 + 4 + 4 + 48] = 0x80;
    expectDecodeError(badFlags);
  });

  test("a version-1 batch (before directory ids) still decodes, with directoryId \"\"", () => {
    const m = msg("VoteResp", 1, 2, 3, { reject: true });
    const v2 = encodeMessages([m], MAX);
    // Version 1 had no trailing directory id: the empty string's u16 length (2 bytes) goes.
    const v1 = new Uint8Array([1, ...v2.subarray(1, v2.length - 2)]);
    expect(decodeMessages(v1)).toEqual([{ ...m, directoryId: "" }]);
    const withId = encodeMessages([{ ...m, directoryId: "0b5c2f0e-6c1d-4b8e-9a51-3f2f0d7e9c11" }], MAX);
    expect(decodeMessages(withId)[0]!.directoryId).toBe("0b5c2f0e-6c1d-4b8e-9a51-3f2f0d7e9c11");
  });

  test("a count larger than the bytes left is rejected without allocating", () => {
    expectDecodeError(new Uint8Array([CODEC_VERSION, 0xff, 0xff, 0xff, 0xff]));
  });

  test("a snapshot chunk overrunning its total is rejected on both sides", () => {
    const m = fullMessage();
    const body = encodeMessages([m], MAX);
    // The message ends with total (u53), the data length (u32) and the 2 data bytes.
    new DataView(body.buffer, body.byteOffset).setUint32(body.length - 10, 11);
    expectDecodeError(body);
    m.snapshot!.total = 11;
    expect(() => encodeMessage(m, MAX)).toThrow(EncodeError);
  });

  test("random garbage never crashes the decoder (seeded)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
        try {
          const msgs = decodeMessages(garbage);
          // The rare garbage that decodes must be a batch that encodes back to the same bytes.
          expect(encodeMessages(msgs, MAX)).toEqual(garbage);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });

  test("bit flips of a valid batch either decode to a valid batch or throw DecodeError (seeded)", () => {
    const body = encodeMessages([fullMessage()], MAX);
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const flipped = body.slice();
        flipped[at]! ^= mask;
        try {
          // A valid batch: it round-trips (byte order may differ: a flipped address key such as
          // "1" → "5" is re-encoded in JavaScript's integer-key order).
          const decoded = decodeMessages(flipped);
          expect(decodeMessages(encodeMessages(decoded, MAX))).toEqual(decoded);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { seed: 11, numRuns: 1_000 },
    );
  });

  test("encoding rejects bad fields and oversize messages with EncodeError", () => {
    expect(() => encodeMessage(msg("App", 1, 2, -1), MAX)).toThrow(EncodeError);
    expect(() => encodeMessage(msg("App", 1, 2, 1.5), MAX)).toThrow(EncodeError);
    expect(() => encodeMessage(msg("App", 1, 2, 2 ** 53), MAX)).toThrow(EncodeError);
    expect(() => encodeMessage({ ...msg("App", 1, 2, 1), type: "Nope" as "App" }, MAX)).toThrow(EncodeError);
    const big = msg("App", 1, 2, 1, { entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(2_000) }] });
    expect(() => encodeMessage(big, 1_000)).toThrow(EncodeError);
  });
});

test("entries decode as views into the batch's body (no copy per entry); a snapshot chunk decodes as a copy", () => {
  const entries: Entry[] = [1, 2, 3].map((index) => ({ index, term: 1, type: "normal", data: new Uint8Array(100).fill(index) }));
  const membership = { voters: [1, 2], learners: [], addresses: {} };
  const snapshot: SnapshotChunk = { meta: { index: 9, term: 1, membership }, offset: 0, total: 50, data: new Uint8Array(50).fill(7), done: true };
  const body = encodeMessages([{ ...emptyApp(), entries }, { ...emptyApp(), type: "Snap", snapshot }], MAX);
  const [app, snap] = decodeMessages(body);
  for (const e of app!.entries) expect(e.data.buffer).toBe(body.buffer);
  expect(app!.entries.map((e) => e.data)).toEqual(entries.map((e) => e.data));
  expect(snap!.snapshot!.data.buffer).not.toBe(body.buffer);
  expect(snap!.snapshot!.data).toEqual(snapshot.data);
});

function emptyApp(): Message {
  return msg("App", 1, 2, 1);
}
