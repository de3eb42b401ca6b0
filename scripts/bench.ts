// `make bench`: committed writes/s and latency of a 3-node dist/yakt cluster on this machine with
// 1, 16 and 64 concurrent HTTP clients, failover time over 10 trials, the same load against etcd
// when it is installed, plus the other layers' micro-benchmarks when present. Writes
// bench/RESULTS.md. Not a test: numbers depend on the machine and its load.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { EtcdTarget, etcdBinary } from "./bench/etcd-target.ts";
import { type LoadResult, runLoad } from "./bench/load.ts";
import { failoverTable, failureLines, loadTable, ratioTable, verdict } from "./bench/report.ts";
import { tlsCostSection } from "./bench/tls-cost.ts";
import { YaktTarget } from "./bench/yakt-target.ts";

const CLIENTS = [1, 16, 64];
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const MAX_REQUESTS = 200_000;
const FAILOVER_TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 10);
const ROOT = resolve(import.meta.dir, "..");

/** One row: a short warm-up, then `clients` writers for DURATION_MS. */
async function loadRow(name: string, clients: number, write: (run: string, seq: number) => Promise<boolean>): Promise<LoadResult> {
  const run = `${name}${clients}r${Date.now()}`;
  await runLoad({ clients, durationMs: 500, maxRequests: MAX_REQUESTS, request: (seq) => write(`w${run}`, seq) });
  const row = await runLoad({ clients, durationMs: DURATION_MS, maxRequests: MAX_REQUESTS, request: (seq) => write(run, seq) });
  console.log(`${name}: ${clients} clients done`);
  return row;
}

interface YaktResults {
  rows: LoadResult[];
  failover: number[];
  failures: Map<string, number>;
}

/**
 * Each row starts from an empty cluster: every write creates a topic, and three rows on one
 * cluster would carry some 90k topics into the last, near the 100k bound (MAX_TOPICS). The
 * failover trials run on the last row's cluster, the one holding the most state.
 */
async function benchYakt(): Promise<YaktResults> {
  const rows: LoadResult[] = [];
  const failures = new Map<string, number>();
  let failover: number[] = [];
  for (const clients of CLIENTS) {
    const yakt = new YaktTarget();
    try {
      await yakt.start();
      rows.push(await loadRow("yakt", clients, (run, seq) => yakt.write(run, seq)));
      for (const [reason, n] of yakt.failures) failures.set(reason, (failures.get(reason) ?? 0) + n);
      if (clients === CLIENTS[CLIENTS.length - 1]) failover = await failoverTrials(yakt);
    } finally {
      await yakt.stop();
    }
  }
  return { rows, failover, failures };
}

async function failoverTrials(yakt: YaktTarget): Promise<number[]> {
  const trials: number[] = [];
  for (let t = 0; t < FAILOVER_TRIALS; t++) trials.push(await yakt.failoverTrial(t));
  return trials;
}

async function benchEtcd(): Promise<LoadResult[] | null> {
  const binary = etcdBinary();
  if (!binary) return null;
  const etcd = new EtcdTarget(binary);
  try {
    await etcd.start();
    const rows: LoadResult[] = [];
    for (const clients of CLIENTS) rows.push(await loadRow("etcd", clients, (run, seq) => etcd.write(run, seq)));
    return rows;
  } finally {
    await etcd.stop();
  }
}

function runScript(name: string): string | null {
  const path = resolve(ROOT, "scripts", name);
  if (!existsSync(path)) return null;
  const r = Bun.spawnSync([process.execPath, "run", path], { cwd: ROOT, timeout: 300_000 });
  return `### ${name}\n\n\`\`\`\n${r.stdout.toString().trim()}${r.success ? "" : `\n(exit ${r.exitCode}) ${r.stderr.toString().trim()}`}\n\`\`\``;
}

async function main(): Promise<void> {
  if (!existsSync(resolve(ROOT, "dist/yakt"))) throw new Error("dist/yakt is missing: run make build first");
  const load = loadavg().map((l) => l.toFixed(2)).join(", ");
  const { rows, failover, failures } = await benchYakt();
  const etcd = await benchEtcd();
  const tlsCost = await tlsCostSection(DURATION_MS);
  const sections = [
    "# YAKt benchmark results",
    "",
    `${new Date().toISOString()} — ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), bun ${Bun.version}; ` +
      `3 nodes of dist/yakt on loopback, --tick-ms 10 --election-ticks 10; each write a POST /v1/topics ` +
      `with a 200-character topic name, to the leader, ${DURATION_MS} ms per row, each row on a fresh cluster (failover on the ` +
      `last row's). The load generator runs on the same machine ` +
      `(load average ${load} at the start).`,
    "",
    loadTable("YAKt committed writes", rows),
    "",
    failureLines(failures),
    "",
    failoverTable(failover),
    "",
    verdict(rows, failover),
    "",
    tlsCost,
    "",
    etcd ? `${loadTable("etcd (3 members, PUT /v3/kv/put, 200-byte values)", etcd)}\n\n${ratioTable(rows, etcd)}` : "etcd: not installed (Debian package etcd-server), comparison skipped.",
    "",
    ...["bench-core.ts", "bench-storage.ts", "bench-snapshot.ts"].map((s) => runScript(s) ?? `${s}: not present.`).flatMap((s) => [s, ""]),
  ];
  const text = sections.join("\n");
  console.log(text);
  mkdirSync(resolve(ROOT, "bench"), { recursive: true });
  writeFileSync(resolve(ROOT, "bench/RESULTS.md"), `${text}\n`);
}

await main();
