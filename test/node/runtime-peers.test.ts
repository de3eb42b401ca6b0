// Which peers a follower's runtime hands its transport as the membership moves, driven message by
// message through a recording transport: the exact sequence of simulator seed 2744, where a
// removal that never committed was overwritten and the follower kept the member unroutable.
import { afterEach, describe, expect, test } from "bun:test";
import type { TransportHandlers } from "../../src/node/runtime-options.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { ManualTicker } from "../../src/node/ticker.ts";
import { emptyMessage, encodeMembership, type Entry, type Membership, type Message, type NodeId } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import type { Transport, TransportStats } from "../../src/transport/transport-types.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { kvCommand, KvStateMachine } from "./support/kv-state-machine.ts";
import { waitUntil } from "./support/wait-until.ts";

/** Keeps the handlers and every peer map the runtime set; sends go nowhere. */
class RecordingTransport implements Transport {
  readonly peerSets: NodeId[][] = [];
  constructor(readonly handlers: TransportHandlers) {}
  async start(): Promise<{ port: number }> {
    return { port: 0 };
  }
  send(_msgs: Message[]): void {}
  flush(): void {}
  request(): Promise<Uint8Array> {
    return Promise.reject(new Error("no peer requests in this test"));
  }
  setPeers(peers: Map<NodeId, string>): void {
    this.peerSets.push([...peers.keys()].filter((id) => id !== 2).sort((a, b) => a - b));
  }
  stats(): TransportStats {
    return { nodeId: 2, port: 0, peers: [], refusedConnections: 0, evictedConnections: 0, turnedAwayConnections: 0, badFrames: 0, unroutableDrops: 0, learnedPeers: 0 };
  }
  async stop(): Promise<void> {}
}

const addresses = (ids: NodeId[]) => Object.fromEntries(ids.map((id) => [String(id), `10.0.0.${id}:9093`]));
const membershipOf = (voters: NodeId[]): Membership => ({ voters, learners: [], addresses: addresses(voters) });

function append(from: NodeId, term: number, prev: { index: number; term: number }, entries: Entry[]): Message {
  return { ...emptyMessage("App", from, 2, term), index: prev.index, logTerm: prev.term, entries };
}

let runtime: RaftRuntime | null = null;
afterEach(async () => {
  await runtime?.stop();
  runtime = null;
});

describe("a follower's transport peers", () => {
  test("come back when the config entry that removed a member is truncated by a new leader", async () => {
    const storage = new MemoryStorage();
    storage.format({ clusterId: "peers", nodeId: 2 });
    let transport: RecordingTransport | null = null;
    runtime = new RaftRuntime({
      clusterId: "peers",
      nodeId: 2,
      storage,
      stateMachine: new KvStateMachine(),
      // Its operator named only 1 and 2, so the member 4 is a peer only while the membership holds it.
      initialMembership: { voters: [1, 2, 3, 4], learners: [], addresses: addresses([1, 2]) },
      ticker: new ManualTicker(),
      random: seededRandom(5),
      transport: (handlers) => (transport = new RecordingTransport(handlers)),
    });
    await runtime.start();
    const t = transport as RecordingTransport | null;
    if (t === null) throw new Error("the runtime built no transport");
    const membership = membershipOf([1, 2, 3, 4]);
    const withoutFour = membershipOf([1, 2, 3]);

    // Leader 3 of term 1: a membership naming all four, one command, then the removal of 4 (not committed).
    t.handlers.onMessages([
      append(3, 1, { index: 0, term: 0 }, [
        { index: 1, term: 1, type: "config", data: encodeMembership(membership) },
        { index: 2, term: 1, type: "normal", data: kvCommand("k", "v") },
        { index: 3, term: 1, type: "config", data: encodeMembership(withoutFour) },
      ]),
    ]);
    await waitUntil("node 4 dropped from the peers", () => t.peerSets.at(-1)?.join(",") === "1,3");

    // Leader 1 of term 2 never had the removal: its entry at 3 replaces it, with no config entry.
    t.handlers.onMessages([append(1, 2, { index: 2, term: 1 }, [{ index: 3, term: 2, type: "normal", data: kvCommand("k", "w") }])]);
    await waitUntil("the removal truncated", () => runtime!.status().lastOffset === 3 && runtime!.status().membership.voters.length === 4);
    await waitUntil("node 4 a peer again", () => t.peerSets.at(-1)?.join(",") === "1,3,4");
    expect(t.peerSets.map((p) => p.join(","))).toEqual(["1", "1,3", "1,3,4"]);
  });
});
