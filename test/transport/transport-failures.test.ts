// What must close one connection and nothing else: bad handshakes, garbage, oversize frames,
// silence; and how the transport behaves when a peer is down, slow, or restarts.
import { afterEach, describe, expect, test } from "bun:test";
import { TransportError } from "../../src/transport/errors.ts";
import type { TransportErrorCode } from "../../src/transport/errors.ts";
import { FAST_LIMITS, Harness, msg, waitFor } from "./helpers.ts";
import type { Node } from "./helpers.ts";
import { FakePeer, handshakeFrame, rawConnect } from "./raw-sockets.ts";
import type { RawClient } from "./raw-sockets.ts";
import { encodeFrame, FrameKind } from "../../src/transport/frame.ts";
import { encodeMessages } from "../../src/transport/message-codec.ts";
import { decodeRefusal } from "../../src/transport/handshake-codec.ts";

const harness = new Harness();
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await harness.stopAll();
});

async function client(port: number): Promise<RawClient> {
  const c = await rawConnect(port);
  cleanups.push(() => c.socket.terminate());
  return c;
}

function fake(id: number, behaviour: Parameters<typeof FakePeer.start>[1]): FakePeer {
  const peer = FakePeer.start(id, behaviour);
  cleanups.push(() => peer.stop());
  return peer;
}

async function expectCode(p: Promise<unknown>, code: TransportErrorCode): Promise<TransportError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  expect((error as TransportError).code).toBe(code);
  return error as TransportError;
}

/**
 * A mesh of 1 and 2 must keep working whatever a stranger does to node 2's port. Like Raft, the
 * check resends: a message sent while the link redials is dropped by design.
 */
async function expectStillExchanging(a: Node, b: Node): Promise<void> {
  const before = b.received.length;
  await waitFor("the mesh still delivers", () => {
    a.transport.send([msg("Heartbeat", 1, 2, 1)]);
    return b.received.length > before;
  });
}

describe("handshake refusal", () => {
  test("a wrong cluster id, an unknown id and the listener's own id are refused with a reason", async () => {
    const [, b] = await harness.mesh([1, 2]);
    const cases: [Uint8Array, string][] = [
      [handshakeFrame(1, "another-cluster"), "cluster id"],
      [handshakeFrame(7), "not in the peer list"],
      [handshakeFrame(2), "own id"],
      [handshakeFrame(1, undefined, 99), "version"],
    ];
    for (const [frame, reason] of cases) {
      const c = await client(b!.port);
      c.socket.write(frame);
      await waitFor("refusal and close", () => c.closed());
      expect(c.received).toHaveLength(1);
      expect(c.received[0]!.kind).toBe(FrameKind.HandshakeRefuse);
      expect(decodeRefusal(c.received[0]!.body)).toContain(reason);
    }
    expect(b!.transport.stats().refusedConnections).toBe(cases.length);
    expect(b!.logs.filter((l) => l.event === "handshake_refused")).toHaveLength(cases.length);
  });

  test("a transport of another cluster never connects; the refusal is logged on both sides", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]));
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${b.port}`]]), { clusterId: "other" });
    await waitFor("two refusals", () => b.transport.stats().refusedConnections >= 2);
    expect(a.transport.stats().peers[0]!.connected).toBe(false);
    expect(a.logs.filter((l) => l.event === "handshake_refused")).toHaveLength(1);
  });

  test("a peer answering as another node id is not taken for the expected one", async () => {
    const peer = fake(2, "ack-as-other");
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${peer.port}`]]));
    await waitFor("two handshake attempts", () => peer.handshakes.length >= 2);
    expect(a.transport.stats().peers[0]!.connected).toBe(false);
    expect(a.logs.find((l) => l.event === "peer_mismatch")?.fields.detail).toContain("expected 2");
  });

  test("a connection that never sends its handshake is closed after handshakeTimeoutMs", async () => {
    const b = await harness.start(2, new Map(), { limits: { handshakeTimeoutMs: 50 } });
    const c = await client(b.port);
    await waitFor("silent connection closed", () => c.closed(), 2_000);
    expect(b.logs.some((l) => l.event === "handshake_timeout")).toBe(true);
  });
});

describe("garbage on the peer port", () => {
  test("garbage bytes close only that connection; the mesh keeps working", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const c = await client(b!.port);
    c.socket.write(new Uint8Array([0, 0, 0, 9, 200, 1, 2, 3, 4, 5, 6, 7, 8]));
    await waitFor("garbage connection closed", () => c.closed());
    expect(b!.transport.stats().badFrames).toBe(1);
    await expectStillExchanging(a!, b!);
  });

  test("an oversize frame header closes the connection before any body is read", async () => {
    const [a, b] = await harness.mesh([1, 2], { limits: { maxFrameBytes: 4096, maxQueueBytes: 8192 } });
    const c = await client(b!.port);
    c.socket.write(handshakeFrame(1));
    c.socket.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, FrameKind.Messages]));
    await waitFor("oversize connection closed", () => c.closed());
    expect(b!.logs.filter((l) => l.event === "bad_frame")).toHaveLength(1);
    await expectStillExchanging(a!, b!);
  });

  test("an undecodable batch, and a message claiming another sender, are bad frames", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const junk = await client(b!.port);
    junk.socket.write(handshakeFrame(1));
    junk.socket.write(encodeFrame(FrameKind.Messages, [new Uint8Array([1, 0, 0, 0, 5, 1])], 1 << 20));
    const forged = await client(b!.port);
    forged.socket.write(handshakeFrame(1));
    forged.socket.write(encodeFrame(FrameKind.Messages, [encodeMessages([msg("Vote", 3, 2, 9)], 1 << 20)], 1 << 20));
    await waitFor("both closed", () => junk.closed() && forged.closed());
    expect(b!.transport.stats().badFrames).toBe(2);
    expect(b!.received.some((m) => m.from === 3)).toBe(false);
    await expectStillExchanging(a!, b!);
  });
});

describe("peer down, slow, restarted", () => {
  test("messages to an unreachable peer are dropped and counted; requests fail fast as unreachable", async () => {
    const a = await harness.start(1, new Map([[2, "127.0.0.1:1"]]));
    await waitFor("first dial failed", () => a.logs.some((l) => l.event === "connect_failed"));
    a.transport.send([msg("Heartbeat", 1, 2, 1), msg("Heartbeat", 1, 2, 1)]);
    await waitFor("drops counted", () => a.transport.stats().peers[0]!.drops === 2);
    await expectCode(a.transport.request(2, new Uint8Array([1]), 1_000), "unreachable");
    a.transport.send([msg("Heartbeat", 1, 9, 1)]);
    expect(a.transport.stats().unroutableDrops).toBe(1);
  });

  test("a peer that dials us is redialed at once, not after the rest of its backoff", async () => {
    const slow = { limits: { ...FAST_LIMITS, backoffMinMs: 30_000, backoffMaxMs: 60_000 } };
    const first = await harness.start(2, new Map());
    const port = first.port;
    await first.transport.stop();
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${port}`]]), slow);
    await waitFor("the dial to the stopped peer failed", () => a.logs.some((l) => l.event === "connect_failed"));
    // Back on its port, node 2 dials node 1; node 1 then redials it without waiting 15–30 s.
    const b = await harness.start(2, new Map([[1, `127.0.0.1:${a.port}`]]), { ...slow, listenPort: port });
    await waitFor("node 1 reconnected to node 2", () => a.transport.stats().peers[0]!.connected);
    a.transport.send([msg("Heartbeat", 1, 2, 4)]);
    await waitFor("node 2 got it", () => b.received.length === 1);
  });

  test("a full write queue drops whole batches and never exceeds its bound", async () => {
    const peer = fake(2, "silent");
    const limits = { maxFrameBytes: 1024, maxQueueBytes: 2048 };
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${peer.port}`]]), { limits });
    await waitFor("handshake sent", () => peer.handshakes.length === 1);
    const data = new Uint8Array(400);
    for (let i = 0; i < 10; i++) {
      a.transport.send([msg("App", 1, 2, 1, { entries: [{ index: i + 1, term: 1, type: "normal", data }] })]);
      await Bun.sleep(0);
    }
    const stats = a.transport.stats().peers[0]!;
    expect(stats.queuedBytes).toBeLessThanOrEqual(2048);
    expect(stats.sentMessages + stats.drops).toBe(10);
    expect(stats.drops).toBeGreaterThan(0);
    expect(stats.connected).toBe(false);
  });

  test("a peer that stops reading is dropped once the queue stays full past stallTimeoutMs", async () => {
    const peer = fake(2, "ack-then-pause");
    let clock = 0;
    const limits = { maxFrameBytes: 64 * 1024, maxQueueBytes: 128 * 1024, stallTimeoutMs: 1_000 };
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${peer.port}`]]), { limits, now: () => clock });
    await waitFor("connected", () => a.transport.stats().peers[0]!.connected);
    const data = new Uint8Array(60 * 1024);
    const app = () => msg("App", 1, 2, 1, { entries: [{ index: 1, term: 1, type: "normal", data }] });
    // Loopback buffers take a few MB before writes go partial; push until the queue refuses.
    await waitFor("queue full", () => {
      a.transport.send([app()]);
      return a.transport.stats().peers[0]!.drops > 0;
    }, 4_000);
    expect(a.transport.stats().peers[0]!.connected).toBe(true);
    clock += 1_001;
    a.transport.send([app()]);
    await Bun.sleep(0);
    expect(a.logs.some((l) => l.event === "peer_stalled")).toBe(true);
    await waitFor("redialed", () => peer.handshakes.length >= 2);
  });

  test("reconnects after the peer restarts on the same port", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const port = b!.port;
    await b!.transport.stop();
    await waitFor("link down", () => !a!.transport.stats().peers[0]!.connected);
    a!.transport.send([msg("Heartbeat", 1, 2, 1)]);
    const b2 = await harness.start(2, new Map([[1, `127.0.0.1:${a!.port}`]]), { listenPort: port });
    await waitFor("link up again", () => a!.transport.stats().peers[0]!.connected);
    expect(a!.transport.stats().peers[0]!.reconnects).toBe(1);
    a!.transport.send([msg("Heartbeat", 1, 2, 2)]);
    await waitFor("restarted peer receives", () => b2.received.length >= 1);
    expect(b2.received.at(-1)!.term).toBe(2);
    expect([...(await a!.transport.request(2, new Uint8Array([4]), 2_000))]).toEqual([1, 4]);
  });

  test("a request without reply times out; one in flight when the link drops fails as closed", async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    cleanups.push(() => release());
    const [a, b] = await harness.mesh([1, 2], {
      onRequest: async (_from, payload) => {
        await hold;
        return payload;
      },
    });
    const timedOut = await expectCode(a!.transport.request(2, new Uint8Array([1]), 50), "timeout");
    expect(timedOut.message).toContain("50 ms");
    const inFlight = a!.transport.request(2, new Uint8Array([2]), 5_000);
    await b!.transport.stop();
    await expectCode(inFlight, "closed");
  });

  test("requests beyond the pending bound fail as unreachable; beyond the serving bound as busy", async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    cleanups.push(() => release());
    const [a, b] = await harness.mesh([1, 2], {
      limits: { ...FAST_LIMITS, maxPendingRequests: 3, maxServingRequests: 2 },
      onRequest: async (_from, payload) => {
        await hold;
        return payload;
      },
    });
    const held = [1, 2, 3].map((i) => a!.transport.request(2, new Uint8Array([i]), 2_000));
    await expectCode(a!.transport.request(2, new Uint8Array([4]), 2_000), "unreachable");
    const busy = await expectCode(held[2]!, "remote_error");
    expect(busy.message).toContain("busy");
    release();
    expect((await Promise.all(held.slice(0, 2))).map((r) => r[0])).toEqual([1, 2]);
    expect(b!.transport.stats().peers[0]!.receivedFrames).toBeGreaterThanOrEqual(3);
  });

  test("stop rejects pending requests as closed and later calls as closed", async () => {
    const [a] = await harness.mesh([1, 2], { onRequest: () => new Promise<Uint8Array>(() => {}) });
    const pending = a!.transport.request(2, new Uint8Array([1]), 5_000);
    await a!.transport.stop();
    await expectCode(pending, "closed");
    await expectCode(a!.transport.request(2, new Uint8Array([1]), 100), "closed");
  });
});
