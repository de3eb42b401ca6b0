// What the quick rows (bench-write.ts, bench-read.ts) share: a fresh system to run a row on (a
// 3-node YAKt cluster with the steady rows' brokers, a 3-member etcd), the members' processes
// (the YAKt leader's first) and each YAKt node's runtime counters read off its /metrics.
import { EtcdTarget, etcdBinary } from "./etcd-target.ts";
import { KEYS } from "./steady.ts";
import { YaktTarget } from "./yakt-target.ts";

/** The processes measured, and where each one's counters are read (none for etcd). */
export interface Members {
  pids: number[];
  metricUrls: string[];
}

/** The YAKt nodes, the current leader first (its column is the first of the members' CPU). */
export async function yaktMembers(target: YaktTarget): Promise<Members> {
  const leader = await target.cluster.waitForLeader();
  const ids = [leader, ...target.cluster.live().filter((id) => id !== leader)];
  return { pids: ids.map((id) => target.cluster.pid(id)), metricUrls: ids.map((id) => target.cluster.url(id, "/metrics")) };
}

/** Each node's `yakt_raft_<name>_total` (or, for a gauge, `yakt_raft_<name>`); NaN when absent. */
export async function runtimeCounters(urls: string[], names: string[], loopNames: string[] = []): Promise<Map<string, number>[]> {
  return Promise.all(
    urls.map(async (url) => {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
      const value = (name: string) => Number(new RegExp(`^yakt_raft_${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
      const loop = (name: string) => Number(new RegExp(`^yakt_event_loop_${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
      return new Map([
        ...names.map((c): [string, number] => [c, Number.isNaN(value(`${c}_total`)) ? value(c) : value(`${c}_total`)]),
        ...loopNames.map((c): [string, number] => [c, loop(c)]),
      ]);
    }),
  );
}

/** Runs `row` on a fresh YAKt cluster with KEYS brokers registered, then says why requests failed. */
export async function onYakt(row: (target: YaktTarget) => Promise<void>): Promise<void> {
  const target = new YaktTarget();
  try {
    await target.start();
    await target.registerBrokers(KEYS);
    await row(target);
    for (const [reason, n] of target.failures) console.log(`  yakt failure ×${n}: ${reason}`);
  } finally {
    await target.stop();
  }
}

/** Runs `row` on a fresh etcd (members: its processes, no counters), or says it is not installed. */
export async function onEtcd(row: (target: EtcdTarget, members: () => Promise<Members>) => Promise<void>): Promise<void> {
  const binary = etcdBinary();
  if (!binary) return console.log("etcd: not installed (make bench-deps)");
  const target = new EtcdTarget(binary);
  try {
    await target.start();
    await row(target, async () => ({ pids: target.pids(), metricUrls: [] }));
  } finally {
    await target.stop();
  }
}

/** The rows of `--systems` in order: yakt and etcd are known. */
export async function runSystems(systems: string, rows: { yakt: () => Promise<void>; etcd: () => Promise<void> }): Promise<void> {
  for (const system of systems.split(",")) {
    if (system === "yakt") await rows.yakt();
    else if (system === "etcd") await rows.etcd();
    else throw new Error(`--systems takes yakt and etcd, got ${system}`);
  }
}
