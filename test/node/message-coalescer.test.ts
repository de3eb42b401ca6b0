// Merging runs of Apps / AppResps per peer without changing what they say or their per-peer order.
import { describe, expect, test } from "bun:test";
import { coalesceMessages } from "../../src/node/message-coalescer.ts";
import { type Entry, type Message, emptyMessage } from "../../src/raft/types.ts";

const entry = (index: number, term = 2, bytes = 10): Entry => ({ index, term, type: "normal", data: new Uint8Array(bytes) });

function app(to: number, prevIndex: number, prevTerm: number, entries: Entry[], commit = 0): Message {
  return { ...emptyMessage("App", 1, to, 2), index: prevIndex, logTerm: prevTerm, entries, commit };
}

function resp(to: number, index: number, reject = false): Message {
  return { ...emptyMessage("AppResp", 2, to, 2), index, reject };
}

describe("coalesceMessages", () => {
  test("contiguous Apps to one peer become one App with all entries and the newest commit", () => {
    const out = coalesceMessages([app(2, 4, 2, [entry(5)], 3), app(3, 4, 2, [entry(5)], 3), app(2, 5, 2, [entry(6)], 4)], 1 << 20);
    expect(out).toHaveLength(2);
    expect(out[0].to).toBe(2);
    expect(out[0].index).toBe(4);
    expect(out[0].entries.map((e) => e.index)).toEqual([5, 6]);
    expect(out[0].commit).toBe(4);
    expect(out[1].to).toBe(3);
  });

  test("does not merge across a gap, a term change, another message to that peer, or the byte bound", () => {
    const gap = coalesceMessages([app(2, 4, 2, [entry(5)]), app(2, 6, 2, [entry(7)])], 1 << 20);
    expect(gap).toHaveLength(2);
    const between = coalesceMessages([app(2, 4, 2, [entry(5)]), emptyMessage("Heartbeat", 1, 2, 2), app(2, 5, 2, [entry(6)])], 1 << 20);
    expect(between).toHaveLength(3);
    const wrongTerm = coalesceMessages([app(2, 4, 2, [entry(5, 1)]), app(2, 5, 2, [entry(6)])], 1 << 20);
    expect(wrongTerm).toHaveLength(2);
    const big = coalesceMessages([app(2, 4, 2, [entry(5, 2, 600)]), app(2, 5, 2, [entry(6, 2, 600)])], 1000);
    expect(big).toHaveLength(2);
  });

  test("a commit-only App merges with an App from the same point, before or after it", () => {
    const before = coalesceMessages([app(2, 6, 2, [], 5), app(3, 6, 2, [], 5), app(2, 6, 2, [entry(7), entry(8)], 6)], 1 << 20);
    expect(before.map((m) => [m.to, m.index, m.logTerm, m.entries.map((e) => e.index), m.commit])).toEqual([
      [2, 6, 2, [7, 8], 6],
      [3, 6, 2, [], 5],
    ]);
    const after = coalesceMessages([app(2, 4, 2, [entry(5), entry(6)], 4), app(2, 6, 2, [], 6)], 1 << 20);
    expect(after.map((m) => [m.index, m.entries.map((e) => e.index), m.commit])).toEqual([[4, [5, 6], 6]]);
    const twoCommits = coalesceMessages([app(2, 6, 2, [], 5), app(2, 6, 2, [], 6)], 1 << 20);
    expect(twoCommits.map((m) => [m.index, m.entries.length, m.commit])).toEqual([[6, 0, 6]]);
  });

  test("a commit-only App is not merged where it does not go on from the App before it", () => {
    const behind = coalesceMessages([app(2, 4, 2, [entry(5), entry(6)], 4), app(2, 5, 2, [], 6)], 1 << 20);
    expect(behind).toHaveLength(2);
    const otherTerm = coalesceMessages([app(2, 6, 1, [], 5), app(2, 6, 2, [entry(7)], 6)], 1 << 20);
    expect(otherTerm).toHaveLength(2);
    const heartbeatBetween = coalesceMessages([app(2, 6, 2, [], 5), emptyMessage("Heartbeat", 1, 2, 2), app(2, 6, 2, [entry(7)], 6)], 1 << 20);
    expect(heartbeatBetween).toHaveLength(3);
  });

  test("a run of successful AppResps to one peer keeps only the highest; rejections stay", () => {
    const out = coalesceMessages([resp(1, 5), resp(1, 6), resp(1, 7)], 1 << 20);
    expect(out.map((m) => m.index)).toEqual([7]);
    const withReject = coalesceMessages([resp(1, 5), resp(1, 3, true), resp(1, 7)], 1 << 20);
    expect(withReject.map((m) => [m.index, m.reject])).toEqual([[5, false], [3, true], [7, false]]);
  });

  test("leaves the input's own objects untouched", () => {
    const first = app(2, 4, 2, [entry(5)]);
    coalesceMessages([first, app(2, 5, 2, [entry(6)])], 1 << 20);
    expect(first.entries).toHaveLength(1);
  });
});
