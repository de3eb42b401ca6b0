// Plain heartbeats a follower batches for the leader (heartbeat-batch.ts): one forward per loop
// turn whatever the number of brokers, each poll with its own outcome, and the leader's handler
// answering every broker of a batch as if its heartbeat had come alone.
import { describe, expect, test } from "bun:test";
import { MetadataError } from "../../src/metadata/errors.ts";
import { decodeForwardReply, encodeForward } from "../../src/metadata/forwarding.ts";
import { HeartbeatBatch, type HeartbeatOutcome, MAX_HEARTBEAT_BATCH } from "../../src/metadata/heartbeat-batch.ts";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { settle } from "../support/manual-clock.ts";
import { broker, pair, rejection, single } from "./service-fixture.ts";

/** A batch whose loop turns only when the test says so, and which records what it sent. */
function manualBatch(answer: (ids: number[]) => Promise<Map<number, HeartbeatOutcome>>) {
  const sent: number[][] = [];
  const turns: (() => void)[] = [];
  const batch = new HeartbeatBatch(
    (ids) => {
      sent.push(ids);
      return answer(ids);
    },
    (fn) => turns.push(fn),
  );
  const turn = () => turns.splice(0).forEach((fn) => fn());
  return { batch, sent, turn };
}

describe("HeartbeatBatch", () => {
  test("heartbeats of one loop turn go in one send; each poll gets its broker's outcome", async () => {
    const { batch, sent, turn } = manualBatch(async (ids) => new Map(ids.map((id) => [id, id === 3 ? new MetadataError("not_found", "broker 3 is not registered") : id * 10])));
    const polls = [1, 2, 2, 3].map((id) => batch.heartbeat(id).then((offset) => offset, (error: Error) => error));
    expect(sent).toEqual([]);
    expect(batch.size).toBe(3);
    turn();
    expect(sent).toEqual([[1, 2, 3]]);
    const [one, two, twoAgain, three] = await Promise.all(polls);
    expect([one, two, twoAgain]).toEqual([10, 20, 20]);
    expect(three).toBeInstanceOf(MetadataError);
    expect((three as MetadataError).code).toBe("not_found");
    // The next turn's heartbeats make a batch of their own.
    const later = batch.heartbeat(1);
    turn();
    expect(await later).toBe(10);
    expect(sent).toEqual([[1, 2, 3], [1]]);
  });

  test("a batch that fails as a whole fails every poll in it; a broker the reply left out fails alone", async () => {
    const failing = manualBatch(async () => {
      throw new NoLeaderError("no leader elected");
    });
    const polls = [1, 2].map((id) => rejection(failing.batch.heartbeat(id)));
    failing.turn();
    for (const error of await Promise.all(polls)) expect(error).toBeInstanceOf(NoLeaderError);
    const partial = manualBatch(async () => new Map([[1, 5]]));
    const kept = partial.batch.heartbeat(1);
    const left = rejection(partial.batch.heartbeat(2));
    partial.turn();
    expect(await kept).toBe(5);
    expect((await left).message).toContain("left out broker 2");
  });

  test("a full batch is sent at once, without waiting for the turn", async () => {
    const { batch, sent, turn } = manualBatch(async (ids) => new Map(ids.map((id) => [id, 0])));
    const polls = Array.from({ length: MAX_HEARTBEAT_BATCH + 1 }, (_, i) => batch.heartbeat(i));
    expect(sent.map((ids) => ids.length)).toEqual([MAX_HEARTBEAT_BATCH]);
    turn();
    expect(sent.map((ids) => ids.length)).toEqual([MAX_HEARTBEAT_BATCH, 1]);
    await Promise.all(polls);
  });
});

describe("batched heartbeats through a follower", () => {
  test("serving brokers polling in one turn cost the leader one forward; each stays alive", async () => {
    const turns: (() => void)[] = [];
    const { leader, follower, clock } = pair({ defer: (fn) => turns.push(fn) });
    for (let id = 1; id <= 5; id++) {
      await follower.service.registerBroker(broker(id));
      // INIT → ALIVE goes alone (a status change), at once.
      await follower.service.brokerMetadata(id, { since: 1 });
    }
    expect(turns).toHaveLength(0);
    // Past the coalescing window (a tenth of the session), so each poll's heartbeat is passed on.
    await clock.advanceAndSettle(1_000);
    const before = follower.handle.metrics().raft_forwards_total;
    const polls = [1, 2, 3, 4, 5].map((id) => follower.service.brokerMetadata(id, { since: follower.sm.appliedIndex() }));
    await settle();
    expect(turns).toHaveLength(1);
    turns.splice(0).forEach((fn) => fn());
    for (const answer of await Promise.all(polls)) expect(answer.mode).toBe("diff");
    expect(follower.handle.metrics().raft_forwards_total - before).toBe(1);
    for (let id = 1; id <= 5; id++) expect(leader.sm.image().broker(id)?.fields.brokerStatus).toBe("ALIVE");
  });

  test("a leader of an older version refuses the batch as a bad request: each heartbeat then goes alone", async () => {
    const turns: (() => void)[] = [];
    const { leader, follower, clock } = pair({ defer: (fn) => turns.push(fn) });
    // The leader answers as the version before batches would: it knows no "heartbeats".
    const toLeader = follower.handle.forwardToLeader.bind(follower.handle);
    const sent: string[] = [];
    follower.handle.forwardToLeader = (payload) => {
      const op = JSON.parse(new TextDecoder().decode(payload)).op as string;
      sent.push(op);
      if (op !== "heartbeats") return toLeader(payload);
      return Promise.resolve(encodeForward({ ok: false, error: { code: "bad_request", message: "forwarded request: no such op" } }));
    };
    for (const id of [1, 2]) {
      await follower.service.registerBroker(broker(id));
      await follower.service.brokerMetadata(id, { since: 1 });
    }
    await clock.advanceAndSettle(1_000);
    sent.length = 0;
    const polls = [1, 2].map((id) => follower.service.brokerMetadata(id, { since: follower.sm.appliedIndex() }));
    await settle();
    turns.splice(0).forEach((fn) => fn());
    for (const answer of await Promise.all(polls)) expect(answer.mode).toBe("diff");
    expect(sent).toEqual(["heartbeats", "heartbeat", "heartbeat"]);
    expect(leader.service.trackedBrokers()).toEqual([1, 2]);
  });

  test("the leader answers each broker of a batch on its own: unknown and closed brokers get their errors", async () => {
    const { handle, service } = single();
    await service.registerBroker(broker(1));
    await service.registerBroker(broker(2));
    await service.unregisterBroker(2);
    const reply = decodeForwardReply(await handle.forwardToLeader(encodeForward({ op: "heartbeats", brokerIds: [1, 2, 77] })));
    expect(reply).toMatchObject({
      ok: true,
      heartbeats: [
        { brokerId: 1, offset: expect.any(Number) },
        { brokerId: 2, error: { code: "conflict" } },
        { brokerId: 77, error: { code: "not_found" } },
      ],
    });
    // Broker 1 was INIT: its batched heartbeat made it ALIVE, and the reply's offset is that change.
    expect(service.trackedBrokers()).toEqual([1]);
    expect(reply.ok && reply.offset).toBe(handle.appliedIndex());
    for (const bad of [{ op: "heartbeats", brokerIds: [] }, { op: "heartbeats", brokerIds: Array.from({ length: MAX_HEARTBEAT_BATCH + 1 }, (_, i) => i) }, { op: "heartbeats", brokerIds: [-1] }]) {
      expect(decodeForwardReply(await handle.forwardToLeader(encodeForward(bad as never)))).toMatchObject({ ok: false, error: { code: "bad_request" } });
    }
  });
});
