// The peer port under floods (issue 9 §3), over real sockets: connections that never handshake,
// reopened as they are cut, never keep a real peer out; a frame before the handshake may be no
// larger than the largest handshake; a connection has a bounded time to finish its handshake; one
// remote address holds a bounded share of the waiting slots; and with a peer secret only peers
// that prove they hold it get in.
import { afterEach, describe, expect, test } from "bun:test";
import { FrameKind } from "../../src/transport/frame.ts";
import { MAX_HANDSHAKE_FRAME_BYTES } from "../../src/transport/handshake-codec.ts";
import type { TransportStats } from "../../src/transport/transport-types.ts";
import { Harness, msg, waitFor } from "./helpers.ts";
import type { Node } from "./helpers.ts";
import { SLOT_LIMITS, flood, slowTurns } from "./floods.ts";
import { handshakeFrame, rawConnect } from "./raw-sockets.ts";
import type { RawClient } from "./raw-sockets.ts";

const harness = new Harness();
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await harness.stopAll();
});

const SECRET = new TextEncoder().encode("a-shared-peer-secret-of-some-length");
const OTHER_SECRET = new TextEncoder().encode("another-peer-secret-not-the-same");

async function client(port: number): Promise<RawClient> {
  const c = await rawConnect(port);
  cleanups.push(() => c.socket.terminate());
  return c;
}

async function exchanges(a: Node, b: Node): Promise<void> {
  const before = b.received.length;
  await waitFor("a message gets through", () => {
    a.transport.send([msg("Heartbeat", a.id, b.id, 1)]);
    return b.received.length > before;
  });
}

/** Eight times: drop peer 2 on node a and dial it again through a flood on b's port from the same address. */
async function reconnectThroughFlood(turnMs: number): Promise<TransportStats> {
  const [a, b] = await harness.mesh([1, 2], { limits: SLOT_LIMITS });
  const storm = flood(b!.port, 60, cleanups);
  if (turnMs > 0) slowTurns(turnMs, cleanups);
  await waitFor("the flood fills the waiting slots", () => b!.transport.stats().evictedConnections > 60, 10_000);
  const peers = new Map([[2, `127.0.0.1:${b!.port}`]]);
  for (let round = 0; round < 8; round++) {
    a!.transport.setPeers(new Map());
    a!.transport.setPeers(peers);
    await waitFor(`round ${round}: the peer is connected again`, () => a!.transport.stats().peers[0]?.connected === true, 5_000);
    await exchanges(a!, b!);
  }
  storm.stop();
  expect(storm.opened()).toBeGreaterThan(100);
  expect(b!.transport.stats().refusedConnections).toBe(0);
  // Logged once, however many were cut: a flood must not flood the log.
  expect(b!.logs.filter((l) => l.event === "inbound_evicted")).toHaveLength(1);
  expect(b!.logs.filter((l) => l.event === "inbound_rejected").length).toBeLessThanOrEqual(1);
  return b!.transport.stats();
}

describe("connections that never handshake", () => {
  test("refilled as they are cut, they never keep a reconnecting peer out", async () => {
    await reconnectThroughFlood(0);
  });

  // Each turn then accepts dozens of the flood's connections; before connections were kept while
  // they settle, the peer's was evicted before its Hello was read, in half of such runs.
  test("nor when the loop's turns are slow and each accepts dozens of them", async () => {
    const stats = await reconnectThroughFlood(4);
    // The newest were turned away while the waiting ones that could make room settled.
    expect(stats.turnedAwayConnections).toBeGreaterThan(0);
  });

  test("one remote address holds at most its share of the waiting slots, the oldest idle evicted first", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]), { limits: SLOT_LIMITS });
    const clients: RawClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await client(b.port));
    await waitFor("the oldest four evicted", () => clients.slice(0, 4).every((c) => c.closed()), 5_000);
    await Bun.sleep(50);
    expect(clients.slice(4).every((c) => !c.closed())).toBe(true);
    expect(b.transport.stats().evictedConnections).toBe(4);
  });

  test("a waiting connection that has sent part of a Hello outlives idle ones", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]), { limits: SLOT_LIMITS });
    const talking = await client(b.port);
    talking.socket.write(handshakeFrame(1).subarray(0, 3));
    const idle: RawClient[] = [];
    for (let i = 0; i < 8; i++) idle.push(await client(b.port));
    await waitFor("idle ones evicted", () => idle.filter((c) => c.closed()).length >= 3, 5_000);
    expect(talking.closed()).toBe(false);
  });

  test("a connection that does not finish its handshake in time is closed", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]), { limits: { ...SLOT_LIMITS, handshakeTimeoutMs: 100 }, secret: SECRET });
    const c = await client(b.port);
    // A valid Hello offering the secret, then no proof.
    c.socket.write(handshakeFrame(1, undefined, undefined, 1));
    await waitFor("the ack arrives", () => c.received.some((f) => f.kind === FrameKind.HandshakeAck));
    await waitFor("closed after the timeout", () => c.closed(), 3_000);
    const timeout = b.logs.find((l) => l.event === "handshake_timeout");
    expect(timeout?.fields.phase).toBe("proving");
  });
});

describe("frames before the handshake", () => {
  test("a 16 MiB frame header before the handshake is refused at once, its body never read", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const header = new Uint8Array([0x01, 0x00, 0x00, 0x00, FrameKind.Handshake]);
    const sockets: RawClient[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await client(b!.port);
      c.socket.write(header);
      sockets.push(c);
    }
    await waitFor("all 40 closed", () => sockets.every((c) => c.closed()), 5_000);
    expect(b!.transport.stats().badFrames).toBe(40);
    const logged = b!.logs.find((l) => l.event === "bad_frame");
    expect(String(logged?.fields.error)).toContain(`[1, ${MAX_HANDSHAKE_FRAME_BYTES}]`);
    await exchanges(a!, b!);
  });

  test("a listener that answers a dial with a huge frame is dropped by the dialer", async () => {
    const received: number[] = [];
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          received.push(1);
          s.write(new Uint8Array([0x01, 0x00, 0x00, 0x00, FrameKind.HandshakeAck]));
        },
        data: () => {},
      },
    });
    cleanups.push(() => listener.stop(true));
    const a = await harness.start(1, new Map([[2, `127.0.0.1:${listener.port}`]]));
    await waitFor("the dialer saw a bad frame", () => a.logs.some((l) => l.event === "bad_frame"), 5_000);
    expect(a.transport.stats().peers[0]?.connected).toBe(false);
  });
});

describe("the peer secret", () => {
  test("peers with the same secret connect and exchange", async () => {
    const [a, b] = await harness.mesh([1, 2], { secret: SECRET });
    await exchanges(a!, b!);
    await exchanges(b!, a!);
  });

  test("a wrong secret is refused on both sides, and says so", async () => {
    const a = await harness.start(1, new Map(), { secret: SECRET });
    const b = await harness.start(2, new Map(), { secret: OTHER_SECRET });
    const peers = new Map([[1, `127.0.0.1:${a.port}`], [2, `127.0.0.1:${b.port}`]]);
    a.transport.setPeers(peers);
    b.transport.setPeers(peers);
    await waitFor("both refused", () => a.transport.stats().refusedConnections > 0 && b.transport.stats().refusedConnections > 0, 5_000);
    const mismatch = a.logs.find((l) => l.event === "peer_mismatch");
    expect(String(mismatch?.fields.detail)).toContain("secrets differ");
    const refusal = b.logs.find((l) => l.event === "handshake_refused");
    expect(String(refusal?.fields.reason)).toContain("secrets differ");
    await Bun.sleep(100);
    expect(a.transport.stats().peers[0]?.connected).toBe(false);
    expect(b.transport.stats().peers[0]?.connected).toBe(false);
    expect(a.received.length + b.received.length).toBe(0);
  });

  test("a peer without a secret is refused by one that has it, and the other way round", async () => {
    const a = await harness.start(1, new Map(), { secret: SECRET });
    const b = await harness.start(2, new Map());
    const peers = new Map([[1, `127.0.0.1:${a.port}`], [2, `127.0.0.1:${b.port}`]]);
    a.transport.setPeers(peers);
    b.transport.setPeers(peers);
    await waitFor("both refused", () => a.transport.stats().refusedConnections > 0 && b.transport.stats().refusedConnections > 0, 5_000);
    expect(String(a.logs.find((l) => l.event === "handshake_refused")?.fields.reason)).toContain("requires the cluster's peer secret");
    expect(String(b.logs.find((l) => l.event === "handshake_refused")?.fields.reason)).toContain("has none configured");
    expect(a.transport.stats().peers[0]?.connected).toBe(false);
    expect(b.transport.stats().peers[0]?.connected).toBe(false);
  });

  test("a raw Hello without the proof never reaches the Raft handler", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]), { secret: SECRET });
    const c = await client(b.port);
    c.socket.write(handshakeFrame(1, undefined, undefined, 1));
    await waitFor("ack", () => c.received.some((f) => f.kind === FrameKind.HandshakeAck));
    // Skipping the proof: a Messages frame instead is a protocol violation.
    c.socket.write(new Uint8Array([0, 0, 0, 6, FrameKind.Messages, 1, 0, 0, 0, 0]));
    await waitFor("closed", () => c.closed());
    expect(b.received).toHaveLength(0);
    expect(b.transport.stats().badFrames).toBe(1);
  });
});
