// A Jepsen-style run on real processes: three nodes of dist/yakt whose peer links go through TCP
// proxies, five clients sending creates, updates and linearizable reads to random nodes, and a
// seeded nemesis (kill -9 and restart, SIGSTOP/SIGCONT, a node isolated, deaf, unheard or mute,
// one link cut one way, no quorum). After the heal the cluster must recover within a bounded wait, the
// clients' history must be linearizable (the project's Wing & Gong checker, per key), every
// acknowledged topic must be on every node, the nodes must hold the same state and the same log
// records, and no term may have had two leaders. Failed requests are expected under faults; only
// a safety violation or a cluster that does not recover fails. Replay with NEMESIS_SEED=<seed>.
import { expect, test } from "bun:test";
import { describeOp, type KvOperation } from "../sim/history.ts";
import { checkLinearizable } from "../sim/linearizability.ts";
import { kvRegisterModel } from "../sim/model.ts";
import { Prng } from "../sim/prng.ts";
import { withoutUnobservedUnknownPuts } from "../sim/unobserved-writes.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { LeaderWatch } from "./support/leader-watch.ts";
import { expectLogsAgree } from "./support/log-agreement.ts";
import { runClient, TopicNames } from "./support/nemesis-client.ts";
import { convergedState } from "./support/nemesis-final-state.ts";
import { HistoryRecorder, topicKey } from "./support/nemesis-history.ts";
import { planFaults } from "./support/nemesis-plan.ts";
import { NemesisRequests, newTally } from "./support/nemesis-requests.ts";
import { NemesisRunner } from "./support/nemesis-runner.ts";
import { nodeCounter } from "./support/node-metrics.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

const SEED = seedFromEnv(process.env.NEMESIS_SEED, 1);
/** Extra node flags for exploring, e.g. NEMESIS_FLAGS="--snapshot-entries 60" for snapshots under faults. */
const NODE_FLAGS = (process.env.NEMESIS_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
const FAULT_MS = 20_000;
const CLIENTS = 5;
const BROKERS = [1, 2, 3, 4, 5, 6];
/** Bounds every request; well under the 10 s forward timeout, so a write stuck behind a paused or cut-off leader ends indeterminate. */
const REQUEST_TIMEOUT_MS = 2_500;
const RECOVER_MS = 15_000;
/** Acknowledged writes and answered reads a run must have, lest it check next to nothing. */
const MIN_PROGRESS = 20;
/** Operations of a violating key printed on failure. */
const MAX_SHOWN = 200;

test(`nemesis on 3 proxied nodes, checked for linearizability (seed ${SEED})`, async () => {
  const cluster = new ProcessCluster(3, NODE_FLAGS, 3, { proxied: true });
  try {
    await runNemesis(cluster);
  } catch (e) {
    const flags = NODE_FLAGS.length > 0 ? ` NEMESIS_FLAGS="${NODE_FLAGS.join(" ")}"` : "";
    const replay = `NEMESIS_SEED=${SEED}${flags} node_modules/.bin/bun test test/cluster/nemesis.test.ts`;
    throw new Error(`nemesis seed ${SEED} failed (replay: ${replay}): ${(e as Error).message}`);
  } finally {
    await cluster.stopAll();
  }
}, 58_000);

async function runNemesis(cluster: ProcessCluster): Promise<void> {
  cluster.startAll();
  await cluster.waitForLeader();
  const rng = new Prng(SEED);
  const plan = planFaults(rng.fork(), cluster.ids, FAULT_MS);
  const recorder = new HistoryRecorder();
  const tally = newTally();
  const requests = new NemesisRequests(cluster, recorder, tally, REQUEST_TIMEOUT_MS);
  await registerBrokers(cluster, requests);

  const watch = new LeaderWatch(cluster);
  watch.start();
  const runner = new NemesisRunner(cluster, () => watch.latestLeader);
  let running = true;
  const topics = new TopicNames();
  const clients = Array.from({ length: CLIENTS }, (_, i) => {
    const setup = { id: i + 1, nodes: cluster.ids, brokers: BROKERS, topics, requests, thinkMs: [5, 40] as const };
    return runClient(setup, rng.fork(), () => running).catch((e: unknown) => {
      running = false;
      throw e;
    });
  });
  const faults = runner.run(plan, () => running).finally(() => {
    running = false;
    cluster.healAll();
  });
  try {
    await settleAll([faults, ...clients]);
    await checkAfterHeal(cluster, requests, recorder, watch, topics);
  } finally {
    await watch.stop();
    report(recorder, tally, runner, watch);
  }
}

/** Waits for every task, then fails with the first failure (no task is left running). */
async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(tasks)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Recovery within a bounded wait, then every safety check of the run. */
async function checkAfterHeal(cluster: ProcessCluster, requests: NemesisRequests, recorder: HistoryRecorder, watch: LeaderWatch, topics: TopicNames): Promise<void> {
  const leader = await cluster.waitForLeader(RECOVER_MS);
  for (const id of BROKERS) await requests.readBroker(0, leader, id);
  await requests.readTopics(0, leader, topics.invoked);
  await watch.stop();
  const state = await convergedState(cluster, RECOVER_MS);
  const logs = await expectLogsAgree(cluster);
  const installed = await Promise.all(cluster.ids.map((id) => nodeCounter(cluster, id, "yakt_raft_snapshots_installed_total")));
  console.log(`nemesis seed ${SEED}: ${logs.records} log records (offsets ${logs.from}–${logs.to}) identical on every node; snapshots installed per node ${installed.join(",")}`);

  // Not a speed bound: a run in which (almost) nothing got through would check nothing.
  expect(recorder.counts.acknowledged).toBeGreaterThanOrEqual(MIN_PROGRESS);
  expect(recorder.counts.readsAnswered).toBeGreaterThanOrEqual(MIN_PROGRESS);
  expect(watch.observations).toBeGreaterThan(0);
  expect(watch.violations).toEqual([]);
  const history = recorder.history();
  const present = new Set(state.topics);
  expect(acknowledgedTopics(history).filter((n) => !present.has(n))).toEqual([]);
  const started = performance.now();
  const pruned = withoutUnobservedUnknownPuts(history);
  const verdict = checkLinearizable(kvRegisterModel, pruned);
  console.log(`nemesis seed ${SEED}: ${pruned.length} of ${history.length} operations checked in ${Math.round(performance.now() - started)} ms`);
  if (!verdict.ok) throw new Error(`not linearizable on ${verdict.partition}:\n${opsOn(history, verdict.partition)}`);
}

/** Each broker registered once, retried (with a fresh host) while the young cluster changes leader. */
async function registerBrokers(cluster: ProcessCluster, requests: NemesisRequests): Promise<void> {
  for (const id of BROKERS) {
    let attempt = 0;
    await waitUntil(
      `broker ${id} registered`,
      async () => {
        const outcome = await requests.registerBroker(0, await cluster.waitForLeader(), id, `h-0-${id}-${attempt}`);
        if (outcome === "exists" && attempt === 0) throw new Error(`broker ${id} exists before it was registered`);
        attempt++;
        return outcome !== "unknown";
      },
      RECOVER_MS,
      50,
    );
  }
}

function acknowledgedTopics(history: readonly KvOperation[]): string[] {
  return history.filter((op) => op.input.kind === "put" && op.input.key.startsWith(topicKey("")) && op.ret !== Infinity).map((op) => op.input.key.slice(topicKey("").length));
}

/** The operations on one key, oldest call first, times in ms since the first; at most MAX_SHOWN. */
function opsOn(history: readonly KvOperation[], key: string): string {
  const start = Math.min(...history.map((op) => op.call));
  const at = (t: number) => (t === Infinity ? Infinity : Math.round(t - start));
  const lines = history
    .filter((op) => op.input.key === key)
    .sort((a, b) => a.call - b.call)
    .map((op) => describeOp({ ...op, call: at(op.call), ret: at(op.ret) }));
  const more = lines.length > MAX_SHOWN ? [`… and ${lines.length - MAX_SHOWN} more`] : [];
  return [...lines.slice(0, MAX_SHOWN), ...more].join("\n");
}

function report(recorder: HistoryRecorder, tally: ReturnType<typeof newTally>, runner: NemesisRunner, watch: LeaderWatch): void {
  const c = recorder.counts;
  const statuses = [...tally.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(" ");
  console.log(
    [
      `nemesis seed ${SEED}: ${c.writes} writes (${c.acknowledged} acknowledged, ${c.indeterminate} indeterminate, ${c.refused} refused), ` +
        `${c.reads} reads (${c.readsAnswered} answered); ${recorder.history().length} operations in the history`,
      `answers ${statuses}; 409 on a fresh topic name ${tally.conflictOnFreshName}; 500 ${tally.internalErrors}`,
      `leaders seen in ${watch.terms} terms (${watch.observations} observations); faults: ${runner.summary()}`,
      ...runner.log.map((l) => `  ${l}`),
    ].join("\n"),
  );
}

function seedFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`NEMESIS_SEED must be a non-negative integer, got ${JSON.stringify(value)}`);
  return seed;
}
