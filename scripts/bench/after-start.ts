// Topic GETs served by a node just after it started (issue 10's "just after the restarts" row, one
// node at a time): a follower is killed with SIGKILL and started again, and once it has caught up,
// rows of GETs are asked of it at set delays after that (0 s, 1 s, 5 s, 20 s, ...), each reading
// topics no row read before (no kept body: every GET builds its answer). Each row shows p50/p99/max,
// the node's CPU per GET and the longest pause of its own loop during the row; the pause while it
// sat idle before the row shows what the process does by itself (collecting the load's garbage,
// compiling) apart from the GETs. A last row asks a node that was not restarted, for comparison.
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { processCpuMs } from "./cpu.ts";
import { metric, nodePauseMs, p, snapshotNow, topicGets } from "./scale-steps.ts";

export interface AfterStartOptions {
  topics: number;
  gets: number;
  clients: number;
  /** Seconds after the node caught up at which each row starts. */
  delaysS: number[];
  stale: boolean;
  /** Restart from the log alone (no snapshot taken before): the node replays every entry. */
  replay: boolean;
}

const CATCH_UP_MS = 600_000;

/** One restart of a follower and its rows; lines to print. */
export async function afterStart(cluster: ProcessCluster, o: AfterStartOptions): Promise<string[]> {
  const leader = await cluster.waitForLeader(60_000);
  const node = cluster.live().find((id) => id !== leader) ?? leader;
  const other = cluster.live().find((id) => id !== leader && id !== node) ?? leader;
  // As in `make bench-scale`, the node restarts from its own snapshot, unless the replay is measured.
  if (!o.replay) for (const id of cluster.live()) await snapshotNow(cluster, id);
  const commit = (await cluster.status(leader))?.commitOffset ?? 0;
  const t0 = performance.now();
  await cluster.kill(node);
  cluster.start(node);
  await waitUntil(`node ${node} answers`, async () => (await cluster.status(node)) !== null, CATCH_UP_MS, 5);
  const answersMs = performance.now() - t0;
  await waitUntil(`node ${node} applies ${commit}`, async () => ((await cluster.status(node))?.appliedOffset ?? 0) >= commit, CATCH_UP_MS, 5);
  const ready = performance.now();
  const lines = [`node ${node} (follower of ${leader}): kill -9 → answers ${answersMs.toFixed(0)} ms, caught up ${(ready - t0).toFixed(0)} ms; longest pause until then ${(await nodePauseMs(cluster, node)).toFixed(1)} ms`];
  for (const [i, delay] of o.delaysS.entries()) {
    await Bun.sleep(Math.max(0, ready + delay * 1000 - performance.now()));
    lines.push(`+${String(delay).padStart(3)} s ${await row(cluster, node, o, 1 + i)}`);
  }
  lines.push(`not restarted ${await row(cluster, other, o, 1000)}`);
  if (process.env.SHOW_LOG) lines.push(...startLog(cluster, node));
  return lines;
}

/** The restarted node's log lines of its start, shortened (SHOW_LOG=1): what it did besides the GETs. */
function startLog(cluster: ProcessCluster, node: number): string[] {
  return cluster
    .log(node)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, 60)
    .map((l) => `  node ${node}: ${l.slice(0, 260)}`);
}

/** One row of GETs at `node`, reading the topics of sequence `seed`. */
async function row(cluster: ProcessCluster, node: number, o: AfterStartOptions, seed: number): Promise<string> {
  const idlePause = await nodePauseMs(cluster, node);
  const cpu0 = processCpuMs(cluster.pid(node));
  const gets = await topicGets(cluster, node, { topics: o.topics, requests: o.gets, clients: o.clients, stale: o.stale, seed });
  const cpuUs = ((processCpuMs(cluster.pid(node)) - cpu0) * 1000) / Math.max(1, gets.length);
  const pause = await nodePauseMs(cluster, node);
  const heap = (await metric(cluster, node, "yakt_heap_bytes")) / 2 ** 20;
  return (
    `p50 ${p(gets, 50).toFixed(2)} ms p99 ${p(gets, 99).toFixed(2)} ms max ${p(gets, 100).toFixed(1)} ms (${gets.length} ok) | ` +
    `CPU per GET ${cpuUs.toFixed(0)}µs | pause in the row ${pause.toFixed(1)} ms, idle before it ${idlePause.toFixed(1)} ms | heap ${heap.toFixed(0)} MiB`
  );
}
