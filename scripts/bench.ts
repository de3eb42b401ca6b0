// `make bench`: committed writes/s and latency of a 3-node dist/yakt cluster on this machine with
// 1, 16 and 64 concurrent HTTP clients, failover time over 10 trials, the same load against etcd
// when it is installed, the 60-second steady-state rows against etcd (bench/steady.ts), the mixed
// metadata workload with 1,000 long-polling brokers and with 1,000 watching ones (bench/mixed.ts), plus the other layers'
// micro-benchmarks when present. Writes its section of bench/RESULTS.md (and the plots beside it).
// Not a test: numbers depend on the machine and its load.
import "./bench/memory-options.ts";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { EtcdTarget, etcdBinary } from "./bench/etcd-target.ts";
import { ensureHttpSlots } from "./bench/http-slots.ts";
import { runMixed } from "./bench/mixed.ts";
import { writeSection } from "./bench/results-file.ts";
import { steadyEtcd, steadyYakt } from "./bench/steady.ts";
import { mixedSection, steadySection } from "./bench/steady-report.ts";
import { type LoadResult, runLoad } from "./bench/load.ts";
import { failoverTable, failureLines, loadTable, ratioTable, verdict } from "./bench/report.ts";
import { tlsCostSection } from "./bench/tls-cost.ts";
import { YaktTarget } from "./bench/yakt-target.ts";

const CLIENTS = [1, 16, 64];
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const MAX_REQUESTS = 200_000;
const FAILOVER_TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 10);
const ROOT = resolve(import.meta.dir, "..");
const STEADY = { writeMs: Number(process.env.BENCH_STEADY_MS ?? 60_000), readMs: Number(process.env.BENCH_READ_MS ?? 20_000) };
const MIXED = { brokers: Number(process.env.BENCH_BROKERS ?? 1_000), writers: 8, durationMs: Number(process.env.BENCH_MIXED_MS ?? 30_000) };
/** The mixed workload's fleet modes, each on a fresh cluster: long polls, then watch streams. */
const MIXED_MODES = ["poll", "watch"] as const;

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

/** The 60-second rows on one cluster each, then the mixed workload in each fleet mode on a fresh YAKt cluster. */
async function benchSteady(): Promise<string[]> {
  const binary = etcdBinary();
  const yakt = await steadyYakt(STEADY);
  const etcd = binary ? await steadyEtcd(binary, STEADY) : null;
  const mixed: Awaited<ReturnType<typeof runMixed>>[] = [];
  for (const mode of MIXED_MODES) {
    const target = new YaktTarget();
    try {
      await target.start();
      mixed.push(await runMixed(target, { ...MIXED, mode }));
    } finally {
      await target.stop();
    }
  }
  return [steadySection(resolve(ROOT, "bench"), yakt.rows, etcd, STEADY), "", failureLines(yakt.failures), "", mixedSection(mixed)];
}

async function main(): Promise<void> {
  if (!existsSync(resolve(ROOT, "dist/yakt"))) throw new Error("dist/yakt is missing: run make build first");
  const load = loadavg().map((l) => l.toFixed(2)).join(", ");
  const { rows, failover, failures } = await benchYakt();
  const etcd = await benchEtcd();
  const tlsCost = await tlsCostSection(DURATION_MS);
  const steady = await benchSteady();
  const sections = [
    "## Short rows (5 s, a fresh cluster each)",
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
    ...steady,
    "",
    "## Micro-benchmarks",
    "",
    ...["bench-core.ts", "bench-storage.ts", "bench-snapshot.ts"].map((s) => runScript(s) ?? `${s}: not present.`).flatMap((s) => [s, ""]),
  ];
  const text = sections.join("\n");
  console.log(text);
  writeSection(resolve(ROOT, "bench/RESULTS.md"), "make bench", text);
}

// 1,000 long-polling brokers need as many concurrent fetches from this process.
ensureHttpSlots(4_096);
await main();
