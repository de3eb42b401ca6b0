// The Forwarder with a fake transport: redirects after "not leader", re-routes of a request pending
// at a leader that was replaced, error mapping, serving.
import { describe, expect, test } from "bun:test";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { ForwardError } from "../../src/node/errors.ts";
import { decodeForwardReply, encodeForwardReply, encodeForwardRequest } from "../../src/node/forward-codec.ts";
import { type ForwarderDeps, Forwarder } from "../../src/node/forwarding.ts";
import { RuntimeMetrics } from "../../src/node/metrics.ts";
import { TransportError } from "../../src/transport/errors.ts";

type Reply = Uint8Array | Error;

/** A reply that never comes (the leader is paused): only a re-route releases the caller. */
const NEVER = "never";
type Scripted = Reply | typeof NEVER;

/** `electionComes`: a wait for a leader ends at the next one elected; else it ends at once with none. */
function forwarder(leader: number, replies: Record<number, Scripted[]>, isLeader = false, electionComes = true) {
  const calls: number[] = [];
  const payloads: number[][] = [];
  const listeners = new Set<(leader: number) => void>();
  const leaderWaiters = new Set<(leader: number) => void>();
  let known = leader;
  let clock = 0;
  const deps: ForwarderDeps = {
    nodeId: 1,
    isLeader: () => isLeader,
    leaderId: () => known,
    // As the runtime's: the known leader, or the next one to be known.
    awaitLeader: () => (known || !electionComes ? Promise.resolve(known) : new Promise((resolve) => leaderWaiters.add(resolve))),
    request: (to, payload) => {
      calls.push(to);
      payloads.push([...payload]);
      const next = replies[to]?.shift();
      if (next === undefined) return Promise.reject(new Error(`unexpected request to ${to}`));
      if (next === NEVER) return new Promise<Uint8Array>(() => {});
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve(next);
    },
    watchLeader: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    now: () => clock,
    timeoutMs: 1_000,
    leaderWaitMs: 100,
    metrics: new RuntimeMetrics(),
  };
  /** This node learns of a new leader (as the runtime's role tracker tells it). */
  const elect = (id: number) => {
    known = id;
    for (const l of [...listeners]) l(id);
    if (id === 0) return;
    for (const w of [...leaderWaiters]) w(id);
    leaderWaiters.clear();
  };
  const advance = (ms: number) => {
    clock += ms;
  };
  return { f: new Forwarder(deps), calls, payloads, elect, advance, listeners, metrics: deps.metrics };
}

/** Lets the forwarder's pending promises run up to their next wait. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const ok = (bytes: number[]) => encodeForwardReply({ status: "ok", body: new Uint8Array(bytes) });

describe("Forwarder.forward", () => {
  test("follows one not-leader redirect to the node named in it", async () => {
    const { f, calls } = forwarder(2, { 2: [encodeForwardReply({ status: "not_leader", leader: 3 })], 3: [ok([7])] });
    expect([...(await f.forward(new Uint8Array([1])))]).toEqual([7]);
    expect(calls).toEqual([2, 3]);
  });

  test("gives up after the redirect with NotLeaderError, not ping-pong", async () => {
    const notLeader = (to: number) => encodeForwardReply({ status: "not_leader", leader: to });
    const { f, calls } = forwarder(2, { 2: [notLeader(3)], 3: [notLeader(2)] });
    await expect(f.forward(new Uint8Array([1]))).rejects.toBeInstanceOf(NotLeaderError);
    expect(calls).toEqual([2, 3]);
  });

  test("maps transport failures and handler failures to the contract's errors", async () => {
    const cases: [Reply, new (...a: never[]) => Error][] = [
      [new TransportError("timeout", "slow"), ConsensusTimeoutError],
      [new TransportError("unreachable", "down"), NoLeaderError],
      [new TransportError("closed", "gone"), NoLeaderError],
      [new TransportError("remote_error", "bad"), ForwardError],
      [encodeForwardReply({ status: "handler_failed", message: "boom" }), ForwardError],
      [encodeForwardReply({ status: "no_handler" }), NoLeaderError],
      [new Uint8Array([99]), ForwardError],
    ];
    for (const [reply, type] of cases) {
      const { f } = forwarder(2, { 2: [reply] });
      await expect(f.forward(new Uint8Array([1]))).rejects.toBeInstanceOf(type);
    }
  });

  test("with no leader it fails with NoLeaderError without sending", async () => {
    const { f, calls } = forwarder(0, {}, false, false);
    await expect(f.forward(new Uint8Array([1]))).rejects.toBeInstanceOf(NoLeaderError);
    expect(calls).toEqual([]);
  });
});

describe("Forwarder re-routing", () => {
  test("a request pending at a leader that is replaced goes to the new leader at once, same payload", async () => {
    const { f, calls, payloads, elect, listeners, metrics } = forwarder(2, { 2: [NEVER], 3: [ok([9])] });
    const reply = f.forward(new Uint8Array([4, 2]));
    await settle();
    expect(calls).toEqual([2]);
    elect(3);
    expect([...(await reply)]).toEqual([9]);
    expect(calls).toEqual([2, 3]);
    expect(payloads[1]).toEqual(payloads[0]);
    expect(metrics.forwardsRerouted).toBe(1);
    expect(listeners.size).toBe(0);
  });

  test("no leader known for a moment: it waits for the next one, then sends there", async () => {
    const { f, calls, elect } = forwarder(2, { 2: [NEVER], 3: [ok([1])] });
    const reply = f.forward(new Uint8Array([1]));
    await settle();
    elect(0); // this node's election timer fired: it knows no leader
    await settle();
    expect(calls).toEqual([2]);
    elect(3);
    expect([...(await reply)]).toEqual([1]);
    expect(calls).toEqual([2, 3]);
  });

  test("a leader that keeps changing is given up on after a bounded number of re-routes", async () => {
    const { f, calls, elect } = forwarder(2, { 2: [NEVER, NEVER], 3: [NEVER, NEVER] });
    const reply = f.forward(new Uint8Array([1]));
    let failure: unknown = null;
    reply.catch((e) => {
      failure = e;
    });
    for (const next of [3, 2, 3, 2]) {
      await settle();
      elect(next);
    }
    await settle();
    expect(failure).toBeInstanceOf(NoLeaderError);
    expect(calls).toEqual([2, 3, 2, 3]);
  });

  test("the forward timeout bounds the whole forward, re-routes included", async () => {
    const { f, calls, elect, advance } = forwarder(2, { 2: [NEVER] });
    const reply = f.forward(new Uint8Array([1]));
    await settle();
    advance(1_000);
    elect(3);
    await expect(reply).rejects.toBeInstanceOf(ConsensusTimeoutError);
    expect(calls).toEqual([2]);
  });

  test("a change that keeps the same leader does not re-send", async () => {
    const { f, calls, elect } = forwarder(2, { 2: [NEVER] });
    const reply = f.forward(new Uint8Array([1]));
    let done = false;
    reply.then(() => (done = true)).catch(() => (done = true));
    await settle();
    elect(2);
    await settle();
    expect(calls).toEqual([2]);
    expect(done).toBe(false);
  });
});

describe("Forwarder.serve", () => {
  test("a non-leader answers not-leader; the leader runs its handler and reports its failure", async () => {
    const follower = forwarder(3, {}).f;
    expect(decodeForwardReply(await follower.serve(2, encodeForwardRequest(new Uint8Array([1]))))).toEqual({ status: "not_leader", leader: 3 });
    const { f } = forwarder(1, {}, true);
    expect(decodeForwardReply(await f.serve(2, encodeForwardRequest(new Uint8Array([1]))))).toEqual({ status: "no_handler" });
    f.setHandler(async (payload, from) => new Uint8Array([...payload, from]));
    expect(decodeForwardReply(await f.serve(2, encodeForwardRequest(new Uint8Array([5]))))).toEqual({ status: "ok", body: new Uint8Array([5, 2]) });
    f.setHandler(async () => {
      throw new Error("handler broke");
    });
    expect(decodeForwardReply(await f.serve(2, encodeForwardRequest(new Uint8Array([5]))))).toEqual({ status: "handler_failed", message: "handler broke" });
    expect(decodeForwardReply(await f.serve(2, new Uint8Array([42])))).toMatchObject({ status: "handler_failed" });
  });
});
