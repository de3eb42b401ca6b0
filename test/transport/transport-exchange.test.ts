// Two and three real transports on 127.0.0.1 exchanging Raft messages and requests.
import { afterEach, describe, expect, test } from "bun:test";
import { TransportError } from "../../src/transport/errors.ts";
import { isFreed } from "../../src/transport/owned-bytes.ts";
import { Harness, msg, waitFor } from "./helpers.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

describe("transport exchange", () => {
  test("two nodes exchange message batches both ways", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    a!.transport.send([msg("Heartbeat", 1, 2, 3, { commit: 7 }), msg("App", 1, 2, 3, { index: 4, logTerm: 2 })]);
    b!.transport.send([msg("HeartbeatResp", 2, 1, 3)]);
    await waitFor("b got 2 messages", () => b!.received.length === 2);
    await waitFor("a got 1 message", () => a!.received.length === 1);
    expect(b!.received.map((m) => [m.type, m.from, m.to, m.term])).toEqual([
      ["Heartbeat", 1, 2, 3],
      ["App", 1, 2, 3],
    ]);
    expect(b!.received[0]!.commit).toBe(7);
    expect(a!.received[0]!.type).toBe("HeartbeatResp");
  });

  test("messages sent in one tick travel as one frame", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const before = a!.transport.stats().peers[0]!.sentFrames;
    for (let i = 1; i <= 50; i++) a!.transport.send([msg("App", 1, 2, 1, { index: i })]);
    await waitFor("50 messages delivered", () => b!.received.length === 50);
    const peer = a!.transport.stats().peers.find((p) => p.id === 2)!;
    expect(peer.sentFrames - before).toBe(1);
    expect(peer.sentMessages).toBe(50);
    expect(b!.received.map((m) => m.index)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test("flush() writes what was sent at once, not at the end of the task", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const stats = () => a!.transport.stats().peers.find((p) => p.id === 2)!;
    const before = stats().sentFrames;
    a!.transport.send([msg("App", 1, 2, 1, { index: 1 })]);
    expect(stats().sentFrames).toBe(before);
    a!.transport.flush();
    expect(stats().sentFrames).toBe(before + 1);
    a!.transport.send([msg("App", 1, 2, 1, { index: 2 })]);
    await waitFor("both delivered", () => b!.received.length === 2);
    expect(b!.received.map((m) => m.index)).toEqual([1, 2]);
    expect(stats().sentFrames).toBe(before + 2);
  });

  test("snapshot chunks arrive whole, while the sender keeps no copy of them once sent", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const total = 4 << 20;
    const expected = new Uint8Array(total).map((_, i) => (i * 31) >> 3);
    const chunks = [0, 1, 2, 3].map((k) => expected.slice(k << 20, (k + 1) << 20));
    const membership = { voters: [1, 2], learners: [], addresses: { "1": "127.0.0.1:1", "2": "127.0.0.1:2" } };
    // Four 1 MiB chunks in one task: more than a loopback socket takes at once, so writes go partly.
    a!.transport.send(chunks.map((data, k) => msg("Snap", 1, 2, 3, { snapshot: { meta: { index: 50, term: 3, membership }, offset: k << 20, total, data, done: k === 3 } })));
    for (const data of chunks) expect(isFreed(data)).toBe(true);
    await waitFor("4 chunks delivered", () => b!.received.length === 4, 20_000);
    const got = new Uint8Array(total);
    for (const m of b!.received) got.set(m.snapshot!.data, m.snapshot!.offset);
    expect(got).toEqual(expected);
    expect(b!.received.map((m) => m.snapshot!.done)).toEqual([false, false, false, true]);
    await waitFor("the queue to node 2 drained", () => a!.transport.stats().peers.find((p) => p.id === 2)!.queuedBytes === 0);
  });

  test("a batch of entries over the size at which frames are freed arrives intact: their frame stays theirs", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    // 40 entries of 4 KiB: a 160 KiB frame, past FREE_AT_BYTES, whose body the entries are views into.
    const entries = Array.from({ length: 40 }, (_, i) => ({ index: i + 1, term: 2, type: "normal" as const, data: new Uint8Array(4096).fill(i + 1) }));
    const expected = entries.map((e) => e.data.slice());
    a!.transport.send([msg("App", 1, 2, 2, { index: 0, logTerm: 0, entries })]);
    await waitFor("the batch delivered", () => b!.received.length === 1);
    const got = b!.received[0]!.entries;
    expect(got.map((e) => e.index)).toEqual(entries.map((e) => e.index));
    for (const [i, e] of got.entries()) {
      expect(isFreed(e.data)).toBe(false);
      expect(e.data).toEqual(expected[i]!);
    }
  });

  test("three nodes: everyone reaches everyone", async () => {
    const nodes = await harness.mesh([1, 2, 3]);
    for (const from of nodes) {
      from.transport.send(nodes.filter((n) => n !== from).map((to) => msg("Vote", from.id, to.id, 5)));
    }
    await waitFor("each node got 2 votes", () => nodes.every((n) => n.received.length === 2));
    for (const n of nodes) {
      expect(n.received.map((m) => m.from).sort()).toEqual(nodes.filter((o) => o !== n).map((o) => o.id));
      expect(n.received.every((m) => m.to === n.id)).toBe(true);
    }
  });

  test("requests get their replies; a failing handler becomes remote_error", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const reply = await a!.transport.request(2, new Uint8Array([9, 8]), 2_000);
    expect([...reply]).toEqual([1, 9, 8]);
    const back = await b!.transport.request(1, new Uint8Array([5]), 2_000);
    expect([...back]).toEqual([2, 5]);
    const replies = await Promise.all([1, 2, 3].map((i) => a!.transport.request(2, new Uint8Array([i]), 2_000)));
    expect(replies.map((r) => r[1])).toEqual([1, 2, 3]);
  });

  test("a handler rejection reaches the caller as remote_error with its message", async () => {
    const nodes = await harness.mesh([1, 2], {
      onRequest: async (from) => {
        throw new Error(`no thanks, node ${from}`);
      },
    });
    const error = await nodes[0]!.transport.request(2, new Uint8Array([1]), 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe("remote_error");
    expect((error as TransportError).message).toContain("no thanks, node 1");
  });
});
