// The steady-state rows of `make bench`: 60-second write rows at 16 and 64 clients on one YAKt
// cluster (its log grows and snapshots are taken meanwhile) and on one etcd cluster in the same
// run, then linearizable read rows; each row with the cluster's CPU time per operation, summed over
// the three members' processes (/proc/<pid>/stat). Writes keep the state the same size (YAKt:
// broker host updates over 1,000 brokers; etcd: puts over 1,000 keys), so a row never meets a
// bound such as MAX_TOPICS, whatever its length.
import { clusterCpuMs } from "./cpu.ts";
import { EtcdTarget } from "./etcd-target.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { YaktTarget } from "./yakt-target.ts";

export const STEADY_CLIENTS = [16, 64];
export const KEYS = 1_000;
const WARMUP_MS = 2_000;
/** How often the snapshot counters are sampled during a row (the plot's marks). */
const SNAPSHOT_SAMPLE_MS = 250;

export interface SteadyRow {
  system: "YAKt" | "etcd";
  kind: "write" | "read";
  clients: number;
  load: LoadResult;
  cpuMs: number;
  /** Row-relative ms at which some member finished a snapshot (YAKt only). */
  snapshotsAtMs: number[];
}

export interface SteadyOptions {
  writeMs: number;
  readMs: number;
}

interface Target {
  pids(): number[];
  write(seq: number): Promise<boolean>;
  read(seq: number): Promise<boolean>;
  /** Snapshots taken so far, summed over the members (null when not known). */
  snapshots(): Promise<number | null>;
}

async function row(t: Target, system: SteadyRow["system"], kind: SteadyRow["kind"], clients: number, durationMs: number): Promise<SteadyRow> {
  const request = kind === "write" ? (s: number) => t.write(s) : (s: number) => t.read(s);
  await runLoad({ clients, durationMs: WARMUP_MS, maxRequests: 1e7, request });
  const snapshotsAtMs: number[] = [];
  const start = performance.now();
  let last = await t.snapshots();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await Bun.sleep(SNAPSHOT_SAMPLE_MS);
      const now = await t.snapshots();
      if (now !== null && last !== null && now > last) snapshotsAtMs.push(performance.now() - start);
      last = now;
    }
  })();
  const cpu0 = clusterCpuMs(t.pids());
  const load = await runLoad({ clients, durationMs, maxRequests: 1e8, request, timeline: kind === "write" });
  const cpuMs = clusterCpuMs(t.pids()) - cpu0;
  sampling = false;
  await sampler;
  console.log(`steady ${system} ${kind} ${clients} clients: ${(load.ok / load.seconds).toFixed(0)}/s, ${load.failed} failed`);
  return { system, kind, clients, load, cpuMs, snapshotsAtMs };
}

async function yaktSnapshots(yakt: YaktTarget): Promise<number | null> {
  let sum = 0;
  for (const id of yakt.cluster.live()) {
    const res = await fetch(yakt.cluster.url(id, "/metrics"), { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    const value = res ? /^yakt_raft_snapshots_taken_total (\S+)$/m.exec(await res.text())?.[1] : undefined;
    if (value === undefined) return null;
    sum += Number(value);
  }
  return sum;
}

async function rows(t: Target, system: SteadyRow["system"], o: SteadyOptions): Promise<SteadyRow[]> {
  const out: SteadyRow[] = [];
  for (const clients of STEADY_CLIENTS) out.push(await row(t, system, "write", clients, o.writeMs));
  for (const clients of STEADY_CLIENTS) out.push(await row(t, system, "read", clients, o.readMs));
  return out;
}

/** Every row on one YAKt cluster (started here, with YAKT_FLAGS if set). */
export async function steadyYakt(o: SteadyOptions): Promise<{ rows: SteadyRow[]; failures: Map<string, number> }> {
  const yakt = new YaktTarget();
  try {
    await yakt.start();
    await yakt.registerBrokers(KEYS);
    const target: Target = {
      pids: () => yakt.pids(),
      write: (s) => yakt.updateBroker(s, KEYS),
      read: (s) => yakt.read(s, KEYS),
      snapshots: () => yaktSnapshots(yakt),
    };
    const stop = yakt.watchLeader();
    try {
      return { rows: await rows(target, "YAKt", o), failures: yakt.failures };
    } finally {
      stop();
    }
  } finally {
    await yakt.stop();
  }
}

/** Every row on one etcd cluster. */
export async function steadyEtcd(binary: string, o: SteadyOptions): Promise<SteadyRow[]> {
  const etcd = new EtcdTarget(binary);
  try {
    await etcd.start();
    const target: Target = {
      pids: () => etcd.pids(),
      write: (s) => etcd.overwrite(s, KEYS),
      read: (s) => etcd.read(s, KEYS),
      snapshots: async () => null,
    };
    return await rows(target, "etcd", o);
  } finally {
    await etcd.stop();
  }
}
