// A runtime whose tick callbacks come late (a busy loop) on an injected clock, driven message by
// message: a follower's lease still ends by the wall clock, so it grants the other survivor's
// pre-vote once a dead leader has been silent for an election timeout — but not when the leader's
// messages were waiting for it; and a leader is never ticked through a whole check-quorum period
// at once, which would step it down before it reads the acknowledgements waiting for it; and the
// catch-up stops at the base election timeout, so two survivors paused together still campaign
// their randomized timeouts apart. And a leader whose commit moves while its writes wait for a
// slow flush sends the new commit at once, not at its next tick (the followers' watchers and long
// polls hear of it without that wait).
import { afterEach, describe, expect, test } from "bun:test";
import type { TransportHandlers } from "../../src/node/runtime-options.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { IntervalTicker } from "../../src/node/ticker.ts";
import { emptyMessage, type Entry, type Message, type MessageType, type NodeId } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import type { PeerCounters, Transport, TransportStats } from "../../src/transport/transport-types.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { FakeTickerClock } from "./support/fake-ticker-clock.ts";
import { kvCommand, KvStateMachine } from "./support/kv-state-machine.ts";
import { waitUntil } from "./support/wait-until.ts";

const ME = 2;
const TICK_MS = 10;
const ELECTION_TICKS = 10;

const counters: PeerCounters = { sentFrames: 0, receivedFrames: 0, sentMessages: 0, receivedMessages: 0, drops: 0, droppedBytes: 0, reconnects: 0 };

/** Keeps every message node 2 sends; they go nowhere. Its links to 1 and 3 are up unless put `down`. */
class SentMessages implements Transport {
  readonly sent: Message[] = [];
  readonly down = new Set<NodeId>();
  constructor(readonly handlers: TransportHandlers) {}
  async start(): Promise<{ port: number }> {
    return { port: 0 };
  }
  send(msgs: Message[]): void {
    this.sent.push(...msgs);
  }
  flush(): void {}
  request(): Promise<Uint8Array> {
    return Promise.reject(new Error("no peer requests in this test"));
  }
  setPeers(): void {}
  stats(): TransportStats {
    const peers = [1, 3].map((id) => ({ ...counters, id, address: `10.0.0.${id}:9093`, connected: !this.down.has(id), queuedBytes: 0, pendingRequests: 0 }));
    return { nodeId: ME, port: 0, peers, refusedConnections: 0, evictedConnections: 0, turnedAwayConnections: 0, badFrames: 0, unroutableDrops: 0, learnedPeers: 0 };
  }
  async stop(): Promise<void> {}
  to(type: MessageType, to: NodeId): Message[] {
    return this.sent.filter((m) => m.type === type && m.to === to);
  }
}

const runtimes: RaftRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
});

/** A MemoryStorage whose flushes wait, while `holding`, until released (a slow disk). */
class SlowFlushStorage extends MemoryStorage {
  holding = false;
  private readonly held: (() => void)[] = [];
  override flush(done: (error: Error | null) => void): void {
    if (this.holding) this.held.push(() => super.flush(done));
    else super.flush(done);
  }
  release(): void {
    this.holding = false;
    for (const flush of this.held.splice(0)) flush();
  }
}

/** Node 2 of voters 1, 2, 3, ticked by an IntervalTicker on a fake clock; `random` draws its election timeouts. */
async function startNode(random = seededRandom(7), storage: MemoryStorage = new MemoryStorage()): Promise<{ rt: RaftRuntime; clock: FakeTickerClock; net: SentMessages }> {
  storage.format({ clusterId: "late", nodeId: ME });
  const clock = new FakeTickerClock();
  let net: SentMessages | null = null;
  const addresses = Object.fromEntries([1, 2, 3].map((id) => [String(id), `10.0.0.${id}:9093`]));
  const rt = new RaftRuntime({
    clusterId: "late",
    nodeId: ME,
    storage,
    stateMachine: new KvStateMachine(),
    initialMembership: { voters: [1, 2, 3], learners: [], addresses },
    ticker: new IntervalTicker(TICK_MS, clock),
    electionTicks: ELECTION_TICKS,
    random,
    transport: (handlers) => (net = new SentMessages(handlers)),
  });
  runtimes.push(rt);
  await rt.start();
  if (net === null) throw new Error("the runtime built no transport");
  return { rt, clock, net };
}

function append(from: NodeId, term: number, prev: { index: number; term: number }, entries: Entry[]): Message {
  return { ...emptyMessage("App", from, ME, term), index: prev.index, logTerm: prev.term, entries };
}

/** Node 2 follows leader 1 of term 1, which has just sent it one entry; answered before returning. */
async function followLeaderOne(net: SentMessages): Promise<void> {
  net.handlers.onMessages([append(1, 1, { index: 0, term: 0 }, [{ index: 1, term: 1, type: "normal", data: kvCommand("k", "v") }])]);
  await waitUntil("the entry acknowledged to leader 1", () => net.to("AppResp", 1).length === 1);
}

const preVoteFromThree = (): Message => ({ ...emptyMessage("PreVote", 3, ME, 2), index: 1, logTerm: 1 });

describe("late tick callbacks", () => {
  test("a follower whose callback came an election timeout late grants the pre-vote at the next", async () => {
    const { clock, net } = await startNode();
    await followLeaderOne(net);
    net.down.add(1); // the leader died: its connection closed
    clock.fireAfter(15 * TICK_MS); // the loop was busy and one callback came, late
    clock.fireAfter(TICK_MS); // nothing from the leader meanwhile: the missed ticks are delivered
    net.handlers.onMessages([preVoteFromThree()]);
    const answer = await waitUntil("an answer to node 3's pre-vote", () => net.to("PreVoteResp", 3)[0]);
    expect(answer.reject).toBe(false);
    expect(answer.term).toBe(2);
  });

  test("a follower that hears the leader after a late callback drops the missed ticks", async () => {
    const { clock, net } = await startNode();
    await followLeaderOne(net);
    net.down.add(1); // a connection lost, but the leader lives
    clock.fireAfter(15 * TICK_MS);
    net.handlers.onMessages([append(1, 1, { index: 1, term: 1 }, [])]); // waited in the socket
    await waitUntil("leader 1's append after the pause answered", () => net.to("AppResp", 1).length === 2);
    clock.fireAfter(TICK_MS);
    net.handlers.onMessages([preVoteFromThree(), append(1, 1, { index: 1, term: 1 }, [])]);
    await waitUntil("leader 1's later appends answered", () => net.to("AppResp", 1).length === 3);
    expect(net.to("PreVoteResp", 3)).toEqual([]); // answered in order: a grant would have come first
  });

  test("a follower still connected to a silent leader counts its lease in ticks, as its loop ran them", async () => {
    const { clock, net } = await startNode();
    await followLeaderOne(net);
    clock.fireAfter(15 * TICK_MS); // a leader starved of CPU sends nothing either; its connection holds
    clock.fireAfter(TICK_MS);
    net.handlers.onMessages([preVoteFromThree(), append(1, 1, { index: 1, term: 1 }, [])]);
    await waitUntil("leader 1's later append answered", () => net.to("AppResp", 1).length === 2);
    expect(net.to("PreVoteResp", 3)).toEqual([]);
  });

  test("a follower still inside the lease by the wall clock ignores the pre-vote", async () => {
    const { clock, net } = await startNode();
    await followLeaderOne(net);
    net.down.add(1);
    clock.fireAfter(5 * TICK_MS);
    clock.fireAfter(TICK_MS);
    net.handlers.onMessages([preVoteFromThree(), append(1, 1, { index: 1, term: 1 }, [])]);
    await waitUntil("leader 1's later append answered", () => net.to("AppResp", 1).length === 2);
    expect(net.to("PreVoteResp", 3)).toEqual([]);
  });

  /** Node 2 on two survivors that drew election timeouts of 12 and 17 ticks (10 + ⌊draw × 10⌋), both following leader 1. */
  async function twoSurvivors() {
    const survivors = await Promise.all([0.2, 0.7].map((draw) => startNode(() => draw)));
    for (const { net } of survivors) await followLeaderOne(net);
    const fire = (ms: number) => survivors.forEach(({ clock }) => clock.fireAfter(ms));
    /** Fires callbacks `everyMs` apart until both campaigned: the callback (1-based) at which each did. */
    const campaigns = (everyMs: number): number[] => {
      const at = [0, 0];
      for (let callback = 1; callback <= 2 * ELECTION_TICKS && at.includes(0); callback++) {
        fire(everyMs);
        survivors.forEach(({ rt }, i) => {
          if (at[i] === 0 && rt.brief().role === "pre-candidate") at[i] = callback;
        });
      }
      return at;
    };
    for (let i = 0; i < 8; i++) fire(TICK_MS); // on time, 8 ticks since the leader was heard
    for (const { net } of survivors) net.down.add(1); // the leader died
    fire(30 * TICK_MS); // both loops stalled together; each callback ticks once (9) and carries 9
    return campaigns;
  }

  test("two survivors paused together campaign their randomized timeouts apart, not at the same callback", async () => {
    const campaigns = await twoSurvivors();
    // The first callback catches up to the base timeout and one past it (10, its own tick 11);
    // then one tick a callback: 12 at the second, 17 at the seventh. Caught up to 19 instead, both
    // would ask for pre-votes at the first.
    expect(campaigns(TICK_MS)).toEqual([2, 7]);
  });

  test("past the base timeout a late loop still keeps wall time, one missed tick a callback", async () => {
    const campaigns = await twoSurvivors();
    // Callbacks 20 ms apart: each brings its own tick and the one it missed: 12 at the second
    // callback, 17 at the fourth (of ticks 11, 13, 15, 17), still 40 ms apart.
    expect(campaigns(2 * TICK_MS)).toEqual([2, 4]);
  });

  test("a leader's late callback ticks it once, so the acknowledgements read after it keep it leader", async () => {
    const { rt, clock, net } = await startNode();
    await becomeLeader(rt, clock, net);
    const acknowledge = () => net.handlers.onMessages([1, 3].map((from) => ({ ...emptyMessage("AppResp", from, ME, 1), index: rt.brief().lastIndex })));
    acknowledge();
    for (let i = 0; i < ELECTION_TICKS; i++) clock.fireAfter(TICK_MS); // one check-quorum passed: the followers count as silent again
    expect(rt.brief().role).toBe("leader");
    clock.fireAfter(30 * TICK_MS); // a long pause; the followers' answers wait unread
    clock.fireAfter(TICK_MS); // and are still unread at the next callback (read late, as on a busy loop)
    expect(rt.brief().role).toBe("leader");
    acknowledge();
    for (let i = 0; i < ELECTION_TICKS; i++) clock.fireAfter(TICK_MS);
    expect(rt.brief().role).toBe("leader");
    expect(rt.brief().term).toBe(1);
  });

  test("a leader whose writes wait for a slow flush sends a commit that moved at once, without a tick", async () => {
    const storage = new SlowFlushStorage();
    const { rt, clock, net } = await startNode(seededRandom(7), storage);
    await becomeLeader(rt, clock, net);
    const acknowledge = (index: number) => net.handlers.onMessages([1, 3].map((from) => ({ ...emptyMessage("AppResp", from, ME, 1), index })));
    acknowledge(rt.brief().lastIndex); // the leader's no-op
    await waitUntil("the no-op committed", () => rt.brief().commit === rt.brief().lastIndex);
    storage.holding = true;
    // Two proposals, each written by a Ready of its own: the first write's flush hangs, the second
    // write waits for the flush after it (the pipeline is backlogged: a Ready now waits for a tick
    // or the flush's end).
    const sent = (index: number) => net.to("App", 1).some((m) => m.entries.some((e) => e.index === index));
    const pending: Promise<unknown>[] = [];
    for (const [key, value] of [["a", "1"], ["b", "2"]]) {
      pending.push(rt.propose(kvCommand(key, value)).catch(() => null));
      const index = rt.brief().lastIndex;
      await waitUntil(`entry ${index} written and sent`, () => sent(index));
    }
    const last = rt.brief().lastIndex;
    // Both followers hold them: committed by the followers alone (the leader's own write is not durable yet).
    acknowledge(last);
    await waitUntil("the new commit sent to both followers, no tick fired, no flush released", () => [1, 3].every((to) => net.to("App", to).some((m) => m.commit === last)));
    expect(rt.brief().commit).toBe(last);
    storage.release();
    await Promise.all(pending);
  });
});

/** Ticks node 2 on time until it campaigns, and grants its pre-vote and vote from node 1. */
async function becomeLeader(rt: RaftRuntime, clock: FakeTickerClock, net: SentMessages): Promise<void> {
  for (let i = 0; i < 2 * ELECTION_TICKS && rt.brief().role === "follower"; i++) clock.fireAfter(TICK_MS);
  expect(rt.brief().role).toBe("pre-candidate");
  const grant = async (type: "PreVote" | "Vote") => {
    const ask = await waitUntil(`node 2's ${type} to node 1`, () => net.to(type, 1)[0]);
    net.handlers.onMessages([{ ...emptyMessage(type === "PreVote" ? "PreVoteResp" : "VoteResp", 1, ME, ask.term), index: ask.index, logTerm: ask.logTerm }]);
  };
  await grant("PreVote");
  await grant("Vote");
  await waitUntil("node 2 leads", () => rt.brief().role === "leader");
}
