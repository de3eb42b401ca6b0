// Heartbeats (BrokerMgmt fetches) and fencing on the leader, on the injected clock.
import { describe, expect, test } from "bun:test";
import { settle } from "../support/manual-clock.ts";
import { broker, pair, rejection, single } from "./service-fixture.ts";

type S = ReturnType<typeof single>;
const statusOf = (s: { sm: S["sm"] }, id: number) => s.sm.image().broker(id)?.fields.brokerStatus;
const heartbeat = (s: { service: S["service"] }, id: number) => s.service.brokerMetadata(id, { since: 0 });

describe("liveness", () => {
  test("the first heartbeat turns INIT into ALIVE with a change record", async () => {
    const s = single();
    await s.service.registerBroker(broker(1));
    await heartbeat(s, 1);
    expect(statusOf(s, 1)).toBe("ALIVE");
    const change = s.sm.history.last()!;
    expect(change).toMatchObject({ name: "RegistrationChangeBrokerRecord", fields: { brokerId: 1, brokerStatus: "ALIVE", epoch: 1 } });
    await heartbeat(s, 1);
    expect(s.sm.history.last()).toEqual(change); // no record for a heartbeat that changes nothing
  });

  test("a broker silent for the session timeout is fenced, not a millisecond earlier", async () => {
    const s = single({ sessionTimeoutMs: 9_000 });
    await s.service.registerBroker(broker(1));
    await heartbeat(s, 1);
    await s.clock.advanceAndSettle(8_999);
    expect(statusOf(s, 1)).toBe("ALIVE");
    await s.clock.advanceAndSettle(1);
    expect(statusOf(s, 1)).toBe("FENCED");
    expect(s.sm.history.last()).toMatchObject({ name: "RegistrationChangeBrokerRecord", timestamp: "2026-11-24T00:00:09.000Z", fields: { brokerStatus: "FENCED", epoch: 2 } });
    expect(s.service.trackedBrokers()).toEqual([]);
  });

  test("many brokers heartbeating at different times are each fenced at their own deadline, on one clock timer", async () => {
    const s = single({ sessionTimeoutMs: 9_000 });
    for (let id = 1; id <= 6; id++) {
      await s.service.registerBroker(broker(id));
      await heartbeat(s, id);
    }
    // Broker id > 2 heartbeats every second up to (id − 2) s (further apart than the coalescing
    // window, so each is passed on); 1 and 2 go silent from the start.
    for (let t = 1_000; t <= 4_000; t += 1_000) {
      await s.clock.advanceAndSettle(1_000);
      for (let id = 3; id <= 6; id++) if (t <= (id - 2) * 1_000) await heartbeat(s, id);
    }
    // Liveness holds one clock timer however many brokers it tracks.
    expect(s.clock.pending()).toBe(1);
    const fencedAt = new Map<number, number>();
    for (let t = 4_000; t < 14_000; t += 100) {
      await s.clock.advanceAndSettle(100);
      for (let id = 1; id <= 6; id++) if (!fencedAt.has(id) && statusOf(s, id) === "FENCED") fencedAt.set(id, t + 100);
    }
    expect(Object.fromEntries(fencedAt)).toEqual({ 1: 9_000, 2: 9_000, 3: 10_000, 4: 11_000, 5: 12_000, 6: 13_000 });
    expect(s.service.trackedBrokers()).toEqual([]);
  });

  test("heartbeats keep a broker alive; after fencing a heartbeat unfences it", async () => {
    const s = single();
    await s.service.registerBroker(broker(1));
    for (let i = 0; i < 5; i++) {
      await heartbeat(s, 1);
      await s.clock.advanceAndSettle(8_000);
    }
    expect(statusOf(s, 1)).toBe("ALIVE");
    await s.clock.advanceAndSettle(1_000);
    expect(statusOf(s, 1)).toBe("FENCED");
    await heartbeat(s, 1);
    expect(statusOf(s, 1)).toBe("UNFENCED");
    await s.clock.advanceAndSettle(9_000);
    expect(statusOf(s, 1)).toBe("FENCED");
  });

  test("a registered broker that never heartbeats is fenced too; a closed one is not tracked", async () => {
    const s = single();
    await s.service.registerBroker(broker(1));
    await s.service.registerBroker(broker(2));
    await s.service.unregisterBroker(2);
    expect(s.service.trackedBrokers()).toEqual([1]);
    await s.clock.advanceAndSettle(9_000);
    expect(statusOf(s, 1)).toBe("FENCED");
    expect(statusOf(s, 2)).toBe("CLOSED");
  });

  test("heartbeats of unknown or closed brokers are refused", async () => {
    const s = single();
    expect(await rejection(heartbeat(s, 4))).toMatchObject({ code: "not_found" });
    await s.service.registerBroker(broker(1));
    await s.service.unregisterBroker(1);
    expect(await rejection(heartbeat(s, 1))).toMatchObject({ code: "conflict" });
  });

  test("a new leader starts every broker's timer afresh (no mass fencing after failover)", async () => {
    const s = single();
    await s.service.registerBroker(broker(1));
    await s.service.registerBroker(broker(2));
    await heartbeat(s, 1);
    await s.clock.advanceAndSettle(8_000);
    s.handle.stepDown();
    expect(s.service.trackedBrokers()).toEqual([]);
    await s.clock.advanceAndSettle(5_000);
    expect(statusOf(s, 1)).toBe("ALIVE"); // a follower fences nobody
    s.handle.becomeLeader();
    expect(s.service.trackedBrokers()).toEqual([1, 2]);
    await s.clock.advanceAndSettle(8_999);
    expect([statusOf(s, 1), statusOf(s, 2)]).toEqual(["ALIVE", "INIT"]);
    await s.clock.advanceAndSettle(1);
    expect([statusOf(s, 1), statusOf(s, 2)]).toEqual(["FENCED", "FENCED"]);
  });

  test("a heartbeat at a follower is forwarded to the leader, and the follower's answer includes its effect", async () => {
    const { leader, follower, clock } = pair();
    await follower.service.registerBroker(broker(1));
    expect(follower.service.trackedBrokers()).toEqual([]);
    expect(leader.service.trackedBrokers()).toEqual([1]);
    const answer = await follower.service.brokerMetadata(1, { since: 1 });
    expect(answer.mode === "diff" && answer.records.map((r) => r.fields)).toEqual([expect.objectContaining({ brokerId: 1, brokerStatus: "ALIVE" })]);
    await clock.advanceAndSettle(9_000);
    await settle();
    expect(statusOf(follower, 1)).toBe("FENCED");
    expect(await rejection(follower.service.brokerMetadata(7, {}))).toMatchObject({ code: "not_found" });
  });

  test("concurrent heartbeats of an INIT broker propose one change", async () => {
    const s = single();
    await s.service.registerBroker(broker(1));
    const before = s.handle.metrics().raft_proposals_total;
    await Promise.all([heartbeat(s, 1), heartbeat(s, 1), heartbeat(s, 1)]);
    expect(s.handle.metrics().raft_proposals_total - before).toBe(1);
    expect(statusOf(s, 1)).toBe("ALIVE");
  });
});
