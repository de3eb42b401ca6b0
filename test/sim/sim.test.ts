// The simulator's suite: a campaign of seeds (3- and 5-node runs) that must all pass every check,
// replay determinism, and the bug-injection tests showing the checks do catch broken Raft.
import { describe, expect, test } from "bun:test";
import { runCampaign } from "./campaign.ts";
import { INJECTED_BUGS } from "./injected-bugs.ts";
import { churnProfile, configForSeed, stressProfile, wipesProfile, type SimConfig } from "./sim-config.ts";
import { runSimulation } from "./simulation.ts";
import { SimFailure, type CheckName } from "./violation.ts";

const SEEDS = 2000;
const BATCH = 125;
const STRESS_SEEDS = 200;
/** Generous backstop per test (the machine is shared); every run is bounded by its own event cap. */
const TEST_TIMEOUT = 120_000;
/** How far each bug hunt may go before the test fails for not finding the bug. */
const BUG_HUNT_SEEDS = 600;

describe("simulated cluster: every check holds", () => {
  for (let first = 1; first <= SEEDS; first += BATCH) {
    test(`seeds ${first}..${first + BATCH - 1}`, async () => {
      const t = await runCampaign(first, BATCH);
      expect(t.schedules).toBe(BATCH);
      // The runs must actually exercise the protocol, not idle.
      expect(t.elections).toBeGreaterThanOrEqual(BATCH);
      expect(t.commits).toBeGreaterThan(10 * BATCH);
      expect(t.faults["crash"]).toBeGreaterThan(0);
      expect(t.faults["membership"]).toBeGreaterThan(0);
      expect(t.faults["compact"]).toBeGreaterThan(0);
      expect(t.faults["wipe"]).toBeGreaterThan(0);
    }, TEST_TIMEOUT);
  }

  test(`stress profile seeds 1..${STRESS_SEEDS}`, async () => {
    const t = await runCampaign(1, STRESS_SEEDS, stressProfile);
    expect(t.schedules).toBe(STRESS_SEEDS);
    expect(t.faults["membership"]).toBeGreaterThan(STRESS_SEEDS);
  }, TEST_TIMEOUT);

  // Seeds that once found core bugs (see the commits citing "sim finding"): they must stay green.
  test("past findings replay green", () => {
    // 304455 found a checker bug, not a core one: a leader of term 2 elected late from delayed votes.
    for (const seed of [581, 641, 107081, 304455]) runSimulation(configForSeed(seed));
    for (const seed of [7957, 23057]) runSimulation(configForSeed(seed, stressProfile(seed)));
  }, TEST_TIMEOUT);

  test("both cluster sizes and both election modes are covered", () => {
    const configs = Array.from({ length: 21 }, (_, i) => configForSeed(i + 1));
    expect(new Set(configs.map((c) => c.nodes))).toEqual(new Set([3, 5]));
    expect(new Set(configs.map((c) => c.preVote))).toEqual(new Set([true, false]));
  });
});

describe("replay", () => {
  const traced = (seed: number) => {
    const lines: string[] = [];
    const report = runSimulation(configForSeed(seed, { traceSink: (l) => lines.push(l) }));
    return { lines, report };
  };

  // 17: one Ready at a time; 18: pipelined Readys (5 nodes).
  for (const seed of [17, 18]) {
    test(`seed ${seed} replays the same run exactly`, () => {
      const a = traced(seed);
      const b = traced(seed);
      expect(a.lines.length).toBeGreaterThan(1000);
      expect(b.lines).toEqual(a.lines);
      expect(b.report).toEqual(a.report);
      expect(traced(seed + 2).lines).not.toEqual(a.lines);
    });
  }

  test("the CLI replays a seed and runs a campaign, exiting 0; bad flags exit 2", () => {
    const cli = (...args: string[]) => Bun.spawnSync([process.execPath, "run", `${import.meta.dir}/cli.ts`, ...args], { timeout: 60_000 });
    const one = cli("--seed", "3");
    expect(one.exitCode).toBe(0);
    expect(one.stdout.toString()).toContain("seed 3 (5 nodes): OK 1 schedules");
    const many = cli("--seeds", "3", "--from", "40");
    expect(many.exitCode).toBe(0);
    expect(many.stdout.toString()).toMatch(/^OK 3 schedules, \d+ steps/);
    const bad = cli("--seeds", "-4");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("got -4");
  }, TEST_TIMEOUT);
});

/** First seed (in 1..BUG_HUNT_SEEDS) whose run with `bug` fails, or null; churn profile by default. */
function hunt(bug: Partial<SimConfig>, churn: boolean | ((seed: number) => Partial<SimConfig>) = true): SimFailure | null {
  for (let seed = 1; seed <= BUG_HUNT_SEEDS; seed++) {
    try {
      const profile = typeof churn === "function" ? churn(seed) : churn ? churnProfile(seed) : {};
      const replayFlags = `${profile.replayFlags ?? ""} ${bug.replayFlags ?? ""}`.trim();
      runSimulation(configForSeed(seed, { ...profile, ...bug, replayFlags }));
    } catch (e) {
      if (e instanceof SimFailure) return e;
      throw e;
    }
  }
  return null;
}

const SAFETY: CheckName[] = [
  "election-safety",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
  "acknowledged-write-lost",
  "linearizability",
];

describe("bug injection: the simulator catches broken Raft", () => {
  test("the churn profile itself passes on the real core", () => {
    for (let seed = 1; seed <= 60; seed++) runSimulation(configForSeed(seed, churnProfile(seed)));
  }, TEST_TIMEOUT);

  test("figure 8: a leader committing a previous-term entry by counting replicas", () => {
    const f = hunt(INJECTED_BUGS.figure8);
    expect(f).not.toBeNull();
    expect(SAFETY).toContain(f!.check);
    expect(f!.message).toContain(`replay: bun run test/sim/cli.ts --seed ${f!.seed} --churn --bug figure8`);
  }, TEST_TIMEOUT);

  test("the wipes profile (frequent wiped disks) itself passes on the real core", async () => {
    const t = await runCampaign(1, 60, wipesProfile);
    expect(t.faults["wipe"]).toBeGreaterThan(20);
  }, TEST_TIMEOUT);

  test("a core that ignores directory ids: a wiped disk's vote or ack loses a committed entry", () => {
    const f = hunt(INJECTED_BUGS["ignore-directory-id"], wipesProfile);
    expect(f).not.toBeNull();
    expect(SAFETY).toContain(f!.check);
    expect(f!.message).toContain(`replay: bun run test/sim/cli.ts --seed ${f!.seed} --wipes --bug ignore-directory-id`);
  }, TEST_TIMEOUT);

  test("a disk that does not persist the vote", () => {
    const f = hunt(INJECTED_BUGS["forget-vote"]);
    expect(f).not.toBeNull();
    expect(f!.check).toBe("election-safety");
  }, TEST_TIMEOUT);

  test("a runtime that serves reads before applying up to the read index: the history check", () => {
    const f = hunt(INJECTED_BUGS["read-before-applied"], false);
    expect(f?.check).toBe("linearizability");
  }, TEST_TIMEOUT);

  test("a core that never commits: the liveness check", () => {
    const f = hunt(INJECTED_BUGS["never-commit"], false);
    expect(f?.check).toBe("liveness");
    expect(f?.seed).toBe(1);
  }, TEST_TIMEOUT);

  test("a runtime that sends (acks) before persisting", () => {
    const f = hunt(INJECTED_BUGS["send-before-persist"]);
    expect(f).not.toBeNull();
    expect([...SAFETY, "liveness"]).toContain(f!.check);
  }, TEST_TIMEOUT);
});
