// The Forwarder with a fake transport: redirects after "not leader", error mapping, serving.
import { describe, expect, test } from "bun:test";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { ForwardError } from "../../src/node/errors.ts";
import { decodeForwardReply, encodeForwardReply, encodeForwardRequest } from "../../src/node/forward-codec.ts";
import { type ForwarderDeps, Forwarder } from "../../src/node/forwarding.ts";
import { RuntimeMetrics } from "../../src/node/metrics.ts";
import { TransportError } from "../../src/transport/errors.ts";

type Reply = Uint8Array | Error;

function forwarder(leader: number, replies: Record<number, Reply[]>, isLeader = false) {
  const calls: number[] = [];
  const deps: ForwarderDeps = {
    nodeId: 1,
    isLeader: () => isLeader,
    leaderId: () => leader,
    awaitLeader: async () => leader,
    request: async (to) => {
      calls.push(to);
      const next = replies[to]?.shift();
      if (next === undefined) throw new Error(`unexpected request to ${to}`);
      if (next instanceof Error) throw next;
      return next;
    },
    timeoutMs: 1_000,
    leaderWaitMs: 100,
    metrics: new RuntimeMetrics(),
  };
  return { f: new Forwarder(deps), calls };
}

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
    const { f, calls } = forwarder(0, {});
    await expect(f.forward(new Uint8Array([1]))).rejects.toBeInstanceOf(NoLeaderError);
    expect(calls).toEqual([]);
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
