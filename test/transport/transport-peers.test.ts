// Membership changes, argument checking, batching under the frame cap, and bulk transfer through
// partial writes and `drain`.
import { afterEach, describe, expect, test } from "bun:test";
import { TransportError } from "../../src/transport/errors.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import type { TransportOptions } from "../../src/transport/transport-types.ts";
import { CLUSTER, Harness, msg, waitFor } from "./helpers.ts";
import { FakePeer } from "./raw-sockets.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

function options(overrides: Partial<TransportOptions> = {}): TransportOptions {
  return {
    clusterId: CLUSTER,
    nodeId: 1,
    listenHost: "127.0.0.1",
    listenPort: 0,
    peers: new Map(),
    onMessages: () => {},
    onRequest: async (_from, payload) => payload,
    ...overrides,
  };
}

function invalid(fn: () => unknown, mentions: string): void {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TransportError);
  expect((error as TransportError).code).toBe("invalid");
  expect((error as TransportError).message).toContain(mentions);
}

describe("membership changes", () => {
  test("a peer added later is dialed; a removed one is dropped and its messages become unroutable", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const c = await harness.start(3, new Map([[1, `127.0.0.1:${a!.port}`]]));
    a!.transport.setPeers(new Map([[2, `127.0.0.1:${b!.port}`], [3, `127.0.0.1:${c.port}`]]));
    await waitFor("1 → 3 connected", () => a!.transport.stats().peers.find((p) => p.id === 3)?.connected === true);
    a!.transport.send([msg("App", 1, 3, 4)]);
    await waitFor("3 received", () => c.received.length === 1);

    a!.transport.setPeers(new Map([[3, `127.0.0.1:${c.port}`]]));
    expect(a!.transport.stats().peers.map((p) => p.id)).toEqual([3]);
    a!.transport.send([msg("App", 1, 2, 4)]);
    expect(a!.transport.stats().unroutableDrops).toBe(1);
  });

  test("a changed address is redialed", async () => {
    const b = await harness.start(2, new Map([[1, "127.0.0.1:1"]]));
    const a = await harness.start(1, new Map([[2, "127.0.0.1:1"]]));
    await waitFor("dial to the wrong address failed", () => a.logs.some((l) => l.event === "connect_failed"));
    a.transport.setPeers(new Map([[2, `127.0.0.1:${b.port}`]]));
    await waitFor("connected at the new address", () => a.transport.stats().peers[0]!.connected);
    expect(a.transport.stats().peers[0]!.address).toBe(`127.0.0.1:${b.port}`);
  });

  test("own id in the peer map is ignored", async () => {
    const a = await harness.start(1, new Map([[1, "127.0.0.1:1"]]));
    expect(a.transport.stats().peers).toEqual([]);
  });

  test("stop closes every socket it opened or accepted", async () => {
    const peer = FakePeer.start(2, "ack-then-pause");
    try {
      const a = await harness.start(1, new Map([[2, `127.0.0.1:${peer.port}`]]));
      await waitFor("connected", () => a.transport.stats().peers[0]!.connected);
      await a.transport.stop();
      await waitFor("fake peer saw the close", () => peer.openSockets === 0);
    } finally {
      peer.stop();
    }
  });
});

describe("bad arguments are refused and change nothing", () => {
  test("constructor options", () => {
    invalid(() => new PeerTransport(options({ clusterId: "" })), "clusterId");
    invalid(() => new PeerTransport(options({ nodeId: 0 })), "nodeId");
    invalid(() => new PeerTransport(options({ listenPort: 70_000 })), "listenPort");
    invalid(() => new PeerTransport(options({ peers: new Map([[2, "nohost"]]) })), '"nohost"');
    invalid(() => new PeerTransport(options({ peers: new Map([[2, "h:0"]]) })), "port");
    invalid(() => new PeerTransport(options({ limits: { maxFrameBytes: 10 } })), "maxFrameBytes");
    invalid(() => new PeerTransport(options({ limits: { backoffMinMs: 10, backoffMaxMs: 5 } })), "backoffMaxMs");
    invalid(() => new PeerTransport(options({ limits: { maxQueueBytes: -1 } })), "maxQueueBytes");
  });

  test("setPeers with one bad entry keeps the old peers", async () => {
    const a = await harness.start(1, new Map([[2, "127.0.0.1:1"]]));
    invalid(() => a.transport.setPeers(new Map([[3, "127.0.0.1:5"], [4, "bad address"]])), "bad address");
    invalid(() => a.transport.setPeers(new Map([[-3, "127.0.0.1:5"]])), "peer id");
    expect(a.transport.stats().peers.map((p) => p.id)).toEqual([2]);
  });

  test("request arguments", async () => {
    const [a] = await harness.mesh([1, 2], { limits: { maxFrameBytes: 2048, maxQueueBytes: 4096 } });
    const t = a!.transport;
    const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: TransportError) => e.code);
    expect(await codeOf(t.request(2, new Uint8Array(3000), 100))).toBe("invalid");
    expect(await codeOf(t.request(2, new Uint8Array(1), 0))).toBe("invalid");
    expect(await codeOf(t.request(2, new Uint8Array(1), 10_000_000))).toBe("invalid");
    expect(await codeOf(t.request(2, "text" as unknown as Uint8Array, 100))).toBe("invalid");
    expect(await codeOf(t.request(5, new Uint8Array(1), 100))).toBe("unreachable");
    expect(await codeOf(t.request(2, new Uint8Array(2000), 1_000))).toBe("ok");
  });

  test("a second start and a port already in use are refused", async () => {
    const a = await harness.start(1, new Map());
    const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: TransportError) => e.code);
    expect(await codeOf(a.transport.start())).toBe("invalid");
    const clash = new PeerTransport(options({ nodeId: 2, listenPort: a.port }));
    expect(await codeOf(clash.start())).toBe("listen_failed");
    await clash.stop();
  });
});

describe("batching and bulk transfer", () => {
  test("one tick's messages beyond the frame cap go out as several frames, all delivered in order", async () => {
    const [a, b] = await harness.mesh([1, 2], { limits: { maxFrameBytes: 4096, maxQueueBytes: 1 << 20 } });
    const data = new Uint8Array(1000);
    const msgs = Array.from({ length: 20 }, (_, i) =>
      msg("App", 1, 2, 1, { index: i, entries: [{ index: i, term: 1, type: "normal", data }] }),
    );
    a!.transport.send(msgs);
    await waitFor("20 delivered", () => b!.received.length === 20);
    expect(b!.received.map((m) => m.index)).toEqual(msgs.map((m) => m.index));
    const sent = a!.transport.stats().peers[0]!;
    expect(sent.sentFrames).toBeGreaterThanOrEqual(5);
    expect(sent.drops).toBe(0);
  });

  test("a message too large for any frame is dropped, counted, and logged once", async () => {
    const [a, b] = await harness.mesh([1, 2], { limits: { maxFrameBytes: 2048, maxQueueBytes: 1 << 20 } });
    const huge = msg("App", 1, 2, 1, { entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(4000) }] });
    a!.transport.send([huge, huge, msg("Heartbeat", 1, 2, 1)]);
    await waitFor("the heartbeat arrives", () => b!.received.length === 1);
    expect(a!.transport.stats().peers[0]!.drops).toBe(2);
    expect(a!.logs.filter((l) => l.event === "message_not_encodable")).toHaveLength(1);
  });

  test("bulk data larger than the socket buffers arrives whole and in order (partial writes, drain)", async () => {
    const [a, b] = await harness.mesh([1, 2]);
    const chunk = 256 * 1024;
    const count = 48;
    for (let i = 0; i < count; i++) {
      const data = new Uint8Array(chunk).fill(i);
      a!.transport.send([msg("App", 1, 2, 1, { index: i, entries: [{ index: i, term: 1, type: "normal", data }] })]);
      if (i % 8 === 7) await Bun.sleep(0);
    }
    await waitFor("all bulk messages", () => b!.received.length === count, 4_000);
    b!.received.forEach((m, i) => {
      expect(m.index).toBe(i);
      const d = m.entries[0]!.data;
      expect(d.length).toBe(chunk);
      expect(d[0]).toBe(i);
      expect(d[chunk - 1]).toBe(i);
    });
    expect(a!.transport.stats().peers[0]!.drops).toBe(0);
  });
});
