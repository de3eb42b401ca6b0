// Broker heartbeats coalesced per node (heartbeat-coalescer.ts): a broker polling many times a
// second sends the leader one heartbeat per window, stays alive, and is still fenced once silent.
import { describe, expect, test } from "bun:test";
import { COALESCE_FRACTION, HeartbeatCoalescer } from "../../src/metadata/heartbeat-coalescer.ts";
import { ManualClock, settle } from "../support/manual-clock.ts";
import { broker, pair, single } from "./service-fixture.ts";

const SESSION_MS = 9_000;
const WINDOW_MS = SESSION_MS / COALESCE_FRACTION;

type Node = ReturnType<typeof pair>["follower"];
const statusOf = (n: Pick<Node, "sm">, id: number) => n.sm.image().broker(id)?.fields.brokerStatus;
const forwards = (n: Pick<Node, "handle">) => n.handle.metrics().raft_forwards_total;

describe("HeartbeatCoalescer", () => {
  test("a heartbeat is recent for one window after it passed, then not", () => {
    const clock = new ManualClock();
    const c = new HeartbeatCoalescer(clock, SESSION_MS, 4);
    expect(c.windowMs).toBe(WINDOW_MS);
    expect(c.recent(1)).toBe(false);
    c.passed(1);
    clock.advance(WINDOW_MS - 1);
    expect(c.recent(1)).toBe(true);
    clock.advance(1);
    expect(c.recent(1)).toBe(false);
    c.passed(1);
    c.forget(1);
    expect(c.recent(1)).toBe(false);
  });

  test("is bounded: stale entries go first, and a full table of fresh ones is dropped whole", () => {
    const clock = new ManualClock();
    const c = new HeartbeatCoalescer(clock, SESSION_MS, 3);
    c.passed(1);
    clock.advance(WINDOW_MS);
    c.passed(2);
    c.passed(3);
    c.passed(4); // 1 is past its window: pruned to make room
    expect(c.size).toBe(3);
    expect([2, 3, 4].every((id) => c.recent(id))).toBe(true);
    c.passed(5); // all fresh: cleared, each broker's next heartbeat goes through
    expect(c.size).toBe(1);
    expect(c.recent(2)).toBe(false);
  });
});

describe("coalesced heartbeats through a follower", () => {
  test("polls within the window are not forwarded; one per window is, and the broker stays alive", async () => {
    const { leader, follower, clock } = pair({ sessionTimeoutMs: SESSION_MS });
    await follower.service.registerBroker(broker(1));
    await follower.service.brokerMetadata(1, { since: 1 }); // INIT → ALIVE: always forwarded
    expect(statusOf(follower, 1)).toBe("ALIVE");
    const before = forwards(follower);
    // Ten polls per window for 30 s: one forward per window, not per poll.
    for (let t = 0; t < 30_000; t += WINDOW_MS / 10) {
      await follower.service.brokerMetadata(1, { since: follower.sm.appliedIndex() });
      await clock.advanceAndSettle(WINDOW_MS / 10);
    }
    const forwarded = forwards(follower) - before;
    expect(forwarded).toBeGreaterThanOrEqual(30_000 / WINDOW_MS - 1);
    expect(forwarded).toBeLessThanOrEqual(30_000 / WINDOW_MS + 1);
    expect(statusOf(leader, 1)).toBe("ALIVE");
  });

  test("a broker that goes silent is fenced between session − window and session after its last poll", async () => {
    const s = single({ sessionTimeoutMs: SESSION_MS });
    await s.service.registerBroker(broker(1));
    await s.service.brokerMetadata(1, { since: 0 });
    for (let i = 0; i < 5; i++) {
      await s.clock.advanceAndSettle(WINDOW_MS / 2);
      await s.service.brokerMetadata(1, { since: s.sm.appliedIndex() });
    }
    // The last poll fell within the window of the one before: its heartbeat was not passed on.
    await s.clock.advanceAndSettle(SESSION_MS - WINDOW_MS - 1);
    expect(statusOf(s, 1)).toBe("ALIVE");
    await s.clock.advanceAndSettle(WINDOW_MS + 1);
    await settle();
    expect(statusOf(s, 1)).toBe("FENCED");
  });

  test("a fenced broker's next poll goes through at once and unfences it; so does a controlled shutdown", async () => {
    const { follower, clock } = pair({ sessionTimeoutMs: SESSION_MS });
    await follower.service.registerBroker(broker(1));
    await follower.service.brokerMetadata(1, { since: 1 });
    await clock.advanceAndSettle(SESSION_MS);
    await settle();
    expect(statusOf(follower, 1)).toBe("FENCED");
    await follower.service.brokerMetadata(1, { since: follower.sm.appliedIndex() });
    expect(statusOf(follower, 1)).toBe("UNFENCED");
    const before = forwards(follower);
    await follower.service.brokerMetadata(1, { since: follower.sm.appliedIndex() }, { wantShutdown: true });
    expect(forwards(follower) - before).toBe(1);
  });
});
