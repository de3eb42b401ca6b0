// Learned peers (handshake version 3): a dialer outside the listener's peer list that advertises
// its address is let in and dialed back there, within a bound, until it becomes a member (whose
// address wins) or stops connecting; the secret still decides who may speak, and a version-2 or
// address-less stranger is refused with a reason.
import { afterEach, describe, expect, test } from "bun:test";
import { advertisedAddress } from "../../src/transport/address.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import { decodeRefusal } from "../../src/transport/handshake-codec.ts";
import { LearnedPeers } from "../../src/transport/learned-peers.ts";
import { Harness, msg, waitFor } from "./helpers.ts";
import type { Node } from "./helpers.ts";
import { handshakeFrame, rawConnect } from "./raw-sockets.ts";
import type { RawClient } from "./raw-sockets.ts";

const harness = new Harness();
const raws: RawClient[] = [];
afterEach(async () => {
  for (const c of raws.splice(0)) c.socket.terminate();
  await harness.stopAll();
});

const at = (n: Node) => `127.0.0.1:${n.port}`;
/** Nothing listens on port 1: a link to it only ever fails to dial. */
const NOWHERE = "127.0.0.1:1";

/** A stranger's connection: a Hello claiming `id` and advertising `address`, acked (no secret). */
async function stranger(listener: Node, id: number, address: string): Promise<RawClient> {
  const c = await rawConnect(listener.port);
  raws.push(c);
  c.socket.write(handshakeFrame(id, undefined, undefined, 0, address));
  await waitFor(`node ${id}'s hello answered`, () => c.received.length > 0 || c.closed());
  return c;
}

describe("a dialer outside the peer list", () => {
  test("is learned from its handshake and routed to at the address it advertises", async () => {
    const a = await harness.start(1, new Map());
    const b = await harness.start(2, new Map());
    // 2 knows 1 (and its own address); 1 has never heard of 2.
    b.transport.setPeers(new Map([[1, at(a)], [2, at(b)]]));
    await waitFor("1 learned 2", () => a.transport.stats().learnedPeers === 1);
    a.transport.send([msg("AppResp", 1, 2, 5)]);
    await waitFor("2 got 1's reply", () => b.received.length === 1);
    expect(b.received[0]).toMatchObject({ type: "AppResp", from: 1, to: 2, term: 5 });
    expect(a.transport.stats().unroutableDrops).toBe(0);
    expect(a.logs.find((l) => l.event === "peer_learned")?.fields).toMatchObject({ peer: 2, address: at(b) });
    expect(await a.transport.request(2, new Uint8Array([7]), 5_000)).toEqual(new Uint8Array([1, 7]));
  });

  test("without an advertised address, or of handshake version 2, is refused with the reason", async () => {
    const a = await harness.start(1, new Map([[1, "127.0.0.1:9093"]]));
    const cases: [Uint8Array, string][] = [
      [handshakeFrame(7), "node id 7 is not in the peer list of node 1 and advertises no address to reach it at"],
      [handshakeFrame(7, undefined, 2, 0, NOWHERE), "handshake version 2 is not the supported 4"],
    ];
    for (const [frame, reason] of cases) {
      const c = await rawConnect(a.port);
      raws.push(c);
      c.socket.write(frame);
      await waitFor("refusal and close", () => c.closed());
      expect(c.received.map((f) => f.kind)).toEqual([FrameKind.HandshakeRefuse]);
      expect(decodeRefusal(c.received[0]!.body)).toContain(reason);
    }
    expect(a.transport.stats()).toMatchObject({ learnedPeers: 0, refusedConnections: 2 });
  });

  test("with another peer secret is refused and never learned", async () => {
    const a = await harness.start(1, new Map(), { secret: new TextEncoder().encode("the-cluster-secret-1") });
    const b = await harness.start(2, new Map(), { secret: new TextEncoder().encode("a-different-secret-2") });
    b.transport.setPeers(new Map([[1, at(a)], [2, at(b)]]));
    await waitFor("1 refused 2", () => a.logs.some((l) => l.event === "handshake_refused"));
    expect(a.logs.find((l) => l.event === "handshake_refused")?.fields.reason).toContain("secrets differ");
    expect(a.transport.stats().learnedPeers).toBe(0);
    a.transport.send([msg("AppResp", 1, 2, 5)]);
    expect(a.transport.stats().unroutableDrops).toBe(1);
  });

  test("learned peers are bounded: the oldest is dropped and its connection closed", async () => {
    const a = await harness.start(1, new Map(), { limits: { maxLearnedPeers: 2 } });
    const first = await stranger(a, 2, NOWHERE);
    await stranger(a, 3, NOWHERE);
    expect(a.transport.stats().learnedPeers).toBe(2);
    await stranger(a, 4, NOWHERE);
    expect(a.transport.stats().learnedPeers).toBe(2);
    await waitFor("the oldest learned peer's connection closed", () => first.closed());
    expect(a.logs.find((l) => l.event === "peer_forgotten")?.fields).toMatchObject({ peer: 2 });
    a.transport.send([msg("Heartbeat", 1, 2, 1)]);
    expect(a.transport.stats().unroutableDrops).toBe(1);
  });

  test("the membership's address wins: a learned id that becomes a member is dialed where the membership says", async () => {
    const a = await harness.start(1, new Map());
    const b = await harness.start(2, new Map());
    // A connection claiming 2 advertises a dead address; the membership then names 2's real one
    // (and 1's own, which 1 advertises, so 2 lets it in as a learned peer of its own).
    await stranger(a, 2, NOWHERE);
    expect(a.transport.stats().learnedPeers).toBe(1);
    a.transport.setPeers(new Map([[1, at(a)], [2, at(b)]]));
    expect(a.transport.stats().learnedPeers).toBe(0);
    await waitFor("1 → 2 connected at the member address", () => a.transport.stats().peers[0]?.connected === true);
    expect(a.transport.stats().peers[0]!.address).toBe(at(b));
    a.transport.send([msg("Heartbeat", 1, 2, 3)]);
    await waitFor("2 got it", () => b.received.length === 1);
  });

  test("a learned peer that stops connecting is forgotten after the idle bound", async () => {
    const a = await harness.start(1, new Map(), { limits: { learnedPeerIdleMs: 200 } });
    const c = await stranger(a, 2, NOWHERE);
    expect(a.transport.stats().learnedPeers).toBe(1);
    c.socket.terminate();
    await waitFor("2 forgotten", () => a.transport.stats().learnedPeers === 0);
    expect(a.logs.find((l) => l.event === "peer_forgotten")?.fields.why).toContain("no connection from it for 200 ms");
  });
});

describe("the advertised address", () => {
  test("is the node's own entry of its peer map, canonical; none when absent or an unspecified host", () => {
    expect(advertisedAddress(new Map([[1, "Node-1.Local:9093"], [2, "h:1"]]), 1)).toBe("node-1.local:9093");
    expect(advertisedAddress(new Map([[2, "h:1"]]), 1)).toBe("");
    expect(advertisedAddress(new Map([[1, "0.0.0.0:9093"]]), 1)).toBe("");
    expect(advertisedAddress(new Map([[1, "[::]:9093"]]), 1)).toBe("");
  });

  test("goes out in the Hello and changes with setPeers", async () => {
    const a = await harness.start(1, new Map());
    const b = await harness.start(2, new Map([[2, "127.0.0.1:1"], [1, "placeholder:1"]]));
    b.transport.setPeers(new Map([[1, at(a)], [2, at(b)]]));
    await waitFor("1 learned 2 at its new address", () => a.logs.some((l) => l.event === "peer_learned" && l.fields.address === at(b)));
  });
});

describe("the learned set's bookkeeping", () => {
  test("re-learning moves an id to the newest; a new address asks for a new link; idle ones are listed", () => {
    const set = new LearnedPeers(2, 100);
    expect(set.learn(2, "h:2", 0)).toEqual({ relink: true, dropped: null });
    expect(set.learn(3, "h:3", 10)).toEqual({ relink: true, dropped: null });
    expect(set.learn(2, "h:2", 20)).toEqual({ relink: false, dropped: null });
    expect(set.learn(4, "h:4", 30)).toEqual({ relink: true, dropped: 3 });
    expect(set.learn(4, "h:44", 40)).toEqual({ relink: true, dropped: null });
    expect(set.ids()).toEqual([2, 4]);
    expect(set.idle(125, (id) => id === 2)).toEqual([]);
    expect(set.idle(141, () => false)).toEqual([4]);
    expect(set.idle(226, () => false)).toEqual([2, 4]);
  });
});
