// The campaign split over child processes: the ranges cover every seed once, the merged totals
// equal one process's, and a failing seed in a child is reported by the parent with exit 1.
import { describe, expect, test } from "bun:test";
import { emptyTotals } from "./campaign.ts";
import { mergeResults, splitSeeds } from "./parallel-campaign.ts";

const cli = (...args: string[]) => Bun.spawnSync([process.execPath, "run", `${import.meta.dir}/cli.ts`, ...args], { timeout: 120_000 });
const lastLine = (out: Buffer) => out.toString().trim().split("\n").pop() ?? "";

describe("parallel campaign", () => {
  test("the ranges cover every seed exactly once, in order", () => {
    for (const [from, count, jobs] of [[1, 10, 3], [500, 2, 4], [7, 100_000, 2], [1, 1, 1]] as const) {
      const ranges = splitSeeds(from, count, jobs);
      expect(ranges.reduce((n, r) => n + r.count, 0)).toBe(count);
      expect(ranges[0]!.from).toBe(from);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.from + ranges[i - 1]!.count);
      expect(ranges.length).toBe(Math.min(jobs, count));
    }
  });

  test("merging adds every total and fault count and sorts the failures", () => {
    const a = { ...emptyTotals(), schedules: 2, steps: 10, faults: { crash: 1, torn: 2 } };
    const b = { ...emptyTotals(), schedules: 3, steps: 5, faults: { crash: 4, wipe: 1 } };
    const merged = mergeResults([
      { totals: a, failures: [{ seed: 9, check: "liveness", detail: "x" }] },
      { totals: b, failures: [{ seed: 4, check: "safety", detail: "y" }] },
    ]);
    expect(merged.totals.schedules).toBe(5);
    expect(merged.totals.steps).toBe(15);
    expect(merged.totals.faults).toEqual({ crash: 5, torn: 2, wipe: 1 });
    expect(merged.failures.map((f) => f.seed)).toEqual([4, 9]);
  });

  test("--jobs 3 prints the same last line as one process", () => {
    const one = cli("--seeds", "6", "--from", "60");
    const three = cli("--seeds", "6", "--from", "60", "--jobs", "3");
    expect(one.exitCode).toBe(0);
    expect(three.exitCode).toBe(0);
    expect(lastLine(three.stdout)).toBe(lastLine(one.stdout));
    expect(lastLine(three.stdout)).toMatch(/^OK 6 schedules, /);
  }, 240_000);

  test("a failing seed in a child fails the parent and is named", () => {
    // The unfenced-forwarded-read bug under the pauses profile is caught within a few seeds.
    const run = cli("--seeds", "12", "--from", "1", "--jobs", "2", "--pauses", "--bug", "unfenced-forwarded-read");
    expect(run.exitCode).toBe(1);
    expect(lastLine(run.stdout)).toMatch(/^FAILED \d+ seeds \(\d+( \d+)*\) \d+ schedules/);
    expect(run.stderr.toString()).toMatch(/seed \d+ failed /);
  }, 240_000);

  test("--jobs 0 is a usage error", () => {
    const run = cli("--seeds", "2", "--jobs", "0");
    expect(run.exitCode).toBe(2);
    expect(run.stderr.toString()).toContain("--jobs needs an integer in [1, 16]");
  });
});
