// SharedBarrier: the fetches of one loop turn share one read barrier, which is asked for only
// after the turn, so it is always asked for after every fetch that joined it arrived; a fetch of a
// later turn gets a barrier of its own; a failed barrier fails every joiner, and the next turn
// asks again; the fetches waiting on barriers are bounded.
import { expect, test } from "bun:test";
import { SharedBarrier } from "../../src/metadata/shared-barrier.ts";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { OverloadedError } from "../../src/node/errors.ts";

/** A barrier over a consensus double that logs each ask, and a loop that turns when the test says. */
function harness() {
  const log: string[] = [];
  const turns: (() => void)[] = [];
  const asks: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const barrier = new SharedBarrier(
    () => {
      log.push("ask");
      return new Promise<void>((resolve, reject) => asks.push({ resolve, reject }));
    },
    (fn) => turns.push(fn),
  );
  const settled: string[] = [];
  const join = (name: string) => {
    log.push(`arrive ${name}`);
    barrier.wait().then(
      () => settled.push(`${name} passed`),
      (error: Error) => settled.push(`${name} ${error.constructor.name}`),
    );
  };
  const turn = () => turns.splice(0).forEach((fn) => fn());
  return { barrier, log, asks, settled, join, turn };
}

const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

test("the fetches of one turn share one barrier, asked for after the last of them arrived", async () => {
  const h = harness();
  for (const name of ["a", "b", "c"]) h.join(name);
  expect(h.log).toEqual(["arrive a", "arrive b", "arrive c"]);
  h.turn();
  expect(h.log).toEqual(["arrive a", "arrive b", "arrive c", "ask"]);
  await microtasks();
  expect(h.settled).toEqual([]);
  h.asks[0].resolve();
  await microtasks();
  expect(h.settled).toEqual(["a passed", "b passed", "c passed"]);
  expect([h.barrier.asks, h.barrier.joins]).toEqual([1, 3]);
});

test("a fetch arriving once the barrier was asked for waits for a barrier of its own", async () => {
  const h = harness();
  h.join("a");
  h.turn();
  h.join("b");
  // b must not pass on a's barrier: it was asked for before b arrived.
  h.asks[0].resolve();
  await microtasks();
  expect(h.settled).toEqual(["a passed"]);
  h.turn();
  expect(h.log).toEqual(["arrive a", "ask", "arrive b", "ask"]);
  h.asks[1].resolve();
  await microtasks();
  expect(h.settled).toEqual(["a passed", "b passed"]);
});

test("a failed barrier fails every fetch that joined it, and the next turn asks again", async () => {
  const h = harness();
  h.join("a");
  h.join("b");
  h.turn();
  h.asks[0].reject(new NoLeaderError("no leader"));
  await microtasks();
  expect(h.settled).toEqual(["a NoLeaderError", "b NoLeaderError"]);
  h.join("c");
  h.turn();
  h.asks[1].resolve();
  await microtasks();
  expect(h.settled).toEqual(["a NoLeaderError", "b NoLeaderError", "c passed"]);
});

test("a barrier that throws instead of rejecting fails its joiners the same way", async () => {
  const turns: (() => void)[] = [];
  const barrier = new SharedBarrier(
    () => {
      throw new NoLeaderError("stopping");
    },
    (fn) => turns.push(fn),
  );
  const waited = barrier.wait();
  turns.splice(0).forEach((fn) => fn());
  await expect(waited).rejects.toBeInstanceOf(NoLeaderError);
});

test("fetches waiting on barriers are bounded: one more is refused, and room comes back as they pass", async () => {
  const turns: (() => void)[] = [];
  const asks: (() => void)[] = [];
  const barrier = new SharedBarrier(
    () => new Promise<void>((resolve) => asks.push(resolve)),
    (fn) => turns.push(fn),
    3,
  );
  const first = [barrier.wait(), barrier.wait()];
  turns.splice(0).forEach((fn) => fn());
  // One waits on the open barrier, two on the one asked: three in all, the bound.
  const third = barrier.wait();
  expect(barrier.size).toBe(3);
  await expect(barrier.wait()).rejects.toBeInstanceOf(OverloadedError);
  asks[0]();
  await Promise.all(first);
  expect(barrier.size).toBe(1);
  turns.splice(0).forEach((fn) => fn());
  asks[1]();
  await third;
  expect(barrier.size).toBe(0);
});
