// LongPolls: a poll wakes on the first change past its offset or at its own deadline, exactly;
// one clock timer serves every deadline; woken polls go RELEASE_SLICE per loop turn; the bound;
// and a seeded random schedule checked against a plain model of what each poll must do.
import { describe, expect, test } from "bun:test";
import { LongPolls, RELEASE_SLICE } from "../../src/metadata/long-polls.ts";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { OverloadedError } from "../../src/node/errors.ts";
import { ManualClock, MANUAL_CLOCK_START } from "../support/manual-clock.ts";
import { seededRandom } from "../support/seeded-random.ts";

/** Polls over a manual clock and a loop that turns only when the test says so. */
function harness(maxPolls?: number) {
  const clock = new ManualClock();
  const turns: (() => void)[] = [];
  const polls = new LongPolls(clock, (fn) => turns.push(fn), maxPolls);
  const woken: number[] = [];
  const start = (id: number, after: number, waitMs: number) => polls.wait(after, waitMs).then(() => woken.push(id));
  /** Runs the deferred slices until none is left; how many turns that took. */
  const turnAll = async () => {
    let count = 0;
    while (turns.length > 0) {
      turns.splice(0).forEach((fn) => fn());
      count++;
    }
    await Promise.resolve();
    return count;
  };
  return { clock, polls, woken, start, turnAll };
}

const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a wait was refused with, looked at after one loop turn: a wait that is not refused at once gives null (it never blocks the test). */
async function refusal(wait: Promise<void>): Promise<unknown> {
  let error: unknown = null;
  wait.catch((e: unknown) => (error = e));
  await microtasks();
  return error;
}

describe("LongPolls", () => {
  test("a poll wakes on a change past its offset, not on one at or before it", async () => {
    const h = harness();
    h.start(1, 10, 5_000);
    h.start(2, 12, 5_000);
    h.polls.notify(10);
    await microtasks();
    expect(h.woken).toEqual([]);
    h.polls.notify(11);
    await microtasks();
    expect(h.woken).toEqual([1]);
    h.polls.notify(13);
    await microtasks();
    expect(h.woken).toEqual([1, 2]);
    expect(h.polls.size).toBe(0);
  });

  test("each poll answers at its own deadline, not a millisecond before, on a single clock timer", async () => {
    const h = harness();
    for (const [id, waitMs] of [[1, 300], [2, 100], [3, 200], [4, 100]]) h.start(id, 5, waitMs);
    expect(h.clock.pending()).toBe(1);
    await h.clock.advanceAndSettle(99);
    expect(h.woken).toEqual([]);
    await h.clock.advanceAndSettle(1);
    expect(h.woken.sort()).toEqual([2, 4]);
    await h.clock.advanceAndSettle(100);
    expect(h.woken).toEqual([2, 4, 3]);
    expect(h.clock.pending()).toBe(1);
    await h.clock.advanceAndSettle(100);
    expect(h.woken).toEqual([2, 4, 3, 1]);
    expect(h.clock.pending()).toBe(0);
    // A zero wait answers at once.
    await h.polls.wait(5, 0);
  });

  test("woken polls are released a slice per loop turn", async () => {
    const h = harness();
    const n = RELEASE_SLICE * 2 + 5;
    for (let id = 0; id < n; id++) h.start(id, 1, 10_000);
    h.polls.notify(2);
    await microtasks();
    expect(h.woken).toHaveLength(RELEASE_SLICE);
    expect(await h.turnAll()).toBe(2);
    await microtasks();
    expect(h.woken).toHaveLength(n);
    expect(h.polls.size).toBe(0);
  });

  test("a node's share of a 1,000-broker fleet (334 of 3 nodes) wakes in one pass, with no turn deferred", async () => {
    const h = harness();
    for (let id = 0; id < 334; id++) h.start(id, 1, 10_000);
    h.polls.notify(2);
    await microtasks();
    expect(h.woken).toHaveLength(334);
    expect(await h.turnAll()).toBe(0);
    expect(h.polls.size).toBe(0);
  });

  test("past its bound a poll is refused as overloaded; cancelAll answers every poll and refuses new ones", async () => {
    const h = harness(3);
    for (let id = 0; id < 3; id++) h.start(id, 1, 10_000);
    expect(await refusal(h.polls.wait(1, 10_000))).toBeInstanceOf(OverloadedError);
    h.polls.cancelAll();
    await microtasks();
    expect(h.woken.sort()).toEqual([0, 1, 2]);
    expect(h.clock.pending()).toBe(0);
    expect(await refusal(h.polls.wait(1, 10_000))).toBeInstanceOf(NoLeaderError);
    expect(() => new LongPolls(h.clock, () => {}, 0)).toThrow("bad bound on long polls 0");
  });

  test("a seeded random schedule: every poll answers when the plain model says, and only once", async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const h = harness();
      const expected = new Map<number, { after: number; deadline: number; at?: number }>();
      const answeredAt = new Map<number, number>();
      let applied = 0;
      let nextId = 0;
      /** Moves the clock `ms` on, stopping at each open poll's deadline so what answers is seen at that time. */
      const advanceThroughDeadlines = async (ms: number) => {
        const target = h.clock.now() + ms;
        for (;;) {
          const due = [...expected.values()].filter((e) => e.at === undefined && e.deadline <= target).map((e) => e.deadline);
          const next = due.length > 0 ? Math.min(...due) : target;
          h.clock.advance(next - h.clock.now());
          for (const e of expected.values()) if (e.at === undefined && e.deadline <= next) e.at = e.deadline;
          await h.turnAll();
          await microtasks();
          if (next === target) return;
        }
      };
      for (let step = 0; step < 400; step++) {
        const roll = random();
        if (roll < 0.5) {
          const id = nextId++;
          const after = applied - Math.floor(random() * 3);
          const waitMs = 1 + Math.floor(random() * 500);
          expected.set(id, { after, deadline: h.clock.now() + waitMs });
          h.polls.wait(after, waitMs).then(() => {
            expect(answeredAt.has(id)).toBe(false);
            answeredAt.set(id, h.clock.now());
          });
        } else if (roll < 0.7) {
          applied += 1 + Math.floor(random() * 2);
          h.polls.notify(applied);
          for (const e of expected.values()) if (e.at === undefined && e.after < applied && e.deadline > h.clock.now()) e.at = h.clock.now();
        } else {
          await advanceThroughDeadlines(Math.floor(random() * 120));
        }
        await h.turnAll();
        await microtasks();
      }
      await advanceThroughDeadlines(1_000);
      for (const [id, e] of expected) expect({ seed, id, at: answeredAt.get(id) }).toEqual({ seed, id, at: e.at });
      expect(h.polls.size).toBe(0);
      expect(h.clock.now()).toBeGreaterThan(MANUAL_CLOCK_START);
    }
  });
});
