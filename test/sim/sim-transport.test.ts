// The simulated transport admits what the real handshake admits: messages from its peers, and from
// an id outside them only when that node advertises an address (its own membership entry), which
// it then learns as a route back; an id with no address is refused, and the membership wins.
import { expect, test } from "bun:test";
import { emptyMessage, type Message, type NodeId } from "../../src/raft/types.ts";
import { EventQueue } from "./event-queue.ts";
import { SimNetwork } from "./network.ts";
import { Prng } from "./prng.ts";
import { SimTransport } from "./sim-transport.ts";
import { VirtualTimers } from "./virtual-timers.ts";

function world() {
  const queue = new EventQueue(10_000);
  const nodes = new Map<NodeId, SimTransport>();
  const got = new Map<NodeId, Message[]>();
  const options = { minDelay: 1, maxDelay: 1, slowRate: 0, dropRate: 0, dupRate: 0 };
  const net = new SimNetwork(queue, new Prng(1), options, (m) => nodes.get(m.to)?.receive(m), false);
  const directory = { transportOf: (id: NodeId) => nodes.get(id) ?? null };
  const add = async (id: NodeId, peers: [NodeId, string][]) => {
    got.set(id, []);
    const timers = new VirtualTimers(queue, `n${id}`, 1);
    const t = new SimTransport(id, { onMessages: (ms) => got.get(id)!.push(...ms), onRequest: async (_f, p) => p }, net, timers, directory);
    nodes.set(id, t);
    await t.start();
    t.setPeers(new Map(peers));
    return t;
  };
  const drain = () => {
    while (queue.runNext(Infinity) !== null);
  };
  return { add, got, drain };
}

const heartbeat = (from: NodeId, to: NodeId) => emptyMessage("Heartbeat", from, to, 1);

test("an unknown sender that advertises its address is learned and answered; one without is refused", async () => {
  const w = world();
  const lagging = await w.add(3, [[1, "sim-1"], [3, "sim-3"]]);
  const leader = await w.add(4, [[3, "sim-3"], [4, "sim-4"]]);
  const stranger = await w.add(5, [[3, "sim-3"]]); // no entry of its own: advertises nothing
  leader.send([heartbeat(4, 3)]);
  stranger.send([heartbeat(5, 3)]);
  w.drain();
  expect(w.got.get(3)!.map((m) => m.from)).toEqual([4]);
  expect(lagging.stats()).toMatchObject({ learnedPeers: 1, refusedConnections: 1 });
  lagging.send([emptyMessage("HeartbeatResp", 3, 4, 1), emptyMessage("HeartbeatResp", 3, 5, 1)]);
  w.drain();
  expect(w.got.get(4)!.map((m) => m.type)).toEqual(["HeartbeatResp"]);
  expect(lagging.stats().unroutableDrops).toBe(1);
  // Once 4 is a member, it is an ordinary peer, no longer a learned one.
  lagging.setPeers(new Map([[3, "sim-3"], [4, "sim-4"]]));
  expect(lagging.stats()).toMatchObject({ learnedPeers: 0, peers: [{ id: 4 }] });
});
