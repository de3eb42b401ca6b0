import { expect, test } from "bun:test";
import { emptyMessage, type Message } from "../../src/raft/types.ts";
import { EventQueue } from "./event-queue.ts";
import { SimNetwork } from "./network.ts";
import { Prng } from "./prng.ts";

function harness(dropRate: number, dupRate: number, seed = 1) {
  const queue = new EventQueue(10_000);
  const got: Message[] = [];
  const options = { minDelay: 1, maxDelay: 20, slowRate: 0.1, dropRate, dupRate };
  const net = new SimNetwork(queue, new Prng(seed), options, (m) => got.push(m), false);
  const drain = () => {
    while (queue.runNext(Infinity) !== null);
  };
  return { queue, got, net, drain };
}

const msg = (from: number, to: number, index: number): Message => ({ ...emptyMessage("App", from, to, 1), index });

test("messages arrive as copies, delayed and reordered", () => {
  const h = harness(0, 0);
  const sent = Array.from({ length: 50 }, (_, i) => msg(1, 2, i));
  for (const m of sent) h.net.send(m);
  h.drain();
  expect(h.got.map((m) => m.index).sort((a, b) => a - b)).toEqual(sent.map((m) => m.index));
  expect(h.got.map((m) => m.index)).not.toEqual(sent.map((m) => m.index));
  expect(h.got[0]).not.toBe(sent[h.got[0]!.index]);
});

test("drops and duplicates follow the seed", () => {
  const run = (seed: number) => {
    const h = harness(0.2, 0.2, seed);
    for (let i = 0; i < 200; i++) h.net.send(msg(1, 2, i));
    h.drain();
    return h;
  };
  const a = run(5);
  expect(a.net.stats.dropped).toBeGreaterThan(0);
  expect(a.net.stats.duplicated).toBeGreaterThan(0);
  expect(a.got.length).toBe(200 - a.net.stats.dropped + a.net.stats.duplicated);
  expect(run(5).got.map((m) => m.index)).toEqual(a.got.map((m) => m.index));
});

test("partitions cut both ways, cut links one way, heal restores", () => {
  const h = harness(0, 0);
  h.net.partition([1], [2, 3]);
  h.net.cut(2, 3);
  for (const [f, t] of [[1, 2], [2, 1], [3, 1], [2, 3], [3, 2]] as const) h.net.send(msg(f, t, 0));
  h.drain();
  expect(h.got.map((m) => `${m.from}>${m.to}`)).toEqual(["3>2"]);
  h.net.heal();
  h.net.send(msg(1, 2, 0));
  h.drain();
  expect(h.got.length).toBe(2);
});

test("bad delays are refused", () => {
  const q = new EventQueue(10);
  expect(() => new SimNetwork(q, new Prng(1), { minDelay: 5, maxDelay: 1, slowRate: 0, dropRate: 0, dupRate: 0 }, () => {}, false)).toThrow("5, 1");
});
