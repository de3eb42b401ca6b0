// Tables and plots of the steady-state rows (steady.ts) and the mixed workload (mixed.ts) for
// bench/RESULTS.md; each plot is written beside it as an SVG file and linked from the text.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { percentile } from "./load.ts";
import type { MixedResult } from "./mixed.ts";
import type { SteadyRow } from "./steady.ts";
import { lineChart } from "./svg.ts";

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "n/a");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "n/a");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const rate = (r: SteadyRow) => r.load.ok / r.load.seconds;
const cpuPerOpUs = (r: SteadyRow) => (r.cpuMs * 1000) / Math.max(1, r.load.ok);

function rowTable(title: string, unit: string, rows: SteadyRow[]): string {
  return [
    `### ${title}`,
    "",
    `| system | clients | acknowledged | failed | ${unit}/s | p50 ms | p99 ms | cluster CPU µs per ${unit} | snapshots taken |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.system} | ${r.clients} | ${r.load.ok} | ${r.load.failed} | ${f0(rate(r))} | ${f2(percentile(r.load.latenciesMs, 50))} | ${f2(percentile(r.load.latenciesMs, 99))} | ${f0(cpuPerOpUs(r))} | ${r.system === "etcd" ? "—" : r.snapshotsAtMs.length} |`,
    ),
  ].join("\n");
}

function ratioTable(title: string, yakt: SteadyRow[], etcd: SteadyRow[]): string {
  const lines = [
    `### ${title}`,
    "",
    "| clients | YAKt / etcd rate | YAKt p99 / etcd p99 | YAKt CPU / etcd CPU per op |",
    "|---:|---:|---:|---:|",
  ];
  for (const y of yakt) {
    const e = etcd.find((r) => r.clients === y.clients && r.kind === y.kind);
    if (!e) continue;
    const p99 = (r: SteadyRow) => percentile(r.load.latenciesMs, 99);
    lines.push(`| ${y.clients} | ${f2(rate(y) / rate(e))} | ${f2(p99(y) / p99(e))} | ${f2(cpuPerOpUs(y) / cpuPerOpUs(e))} |`);
  }
  return lines.join("\n");
}

/** Per-second p50 and p99 of a row's latencies, from the acknowledgements' end times. */
function perSecond(r: SteadyRow, p: number): [number, number][] {
  const ends = r.load.endsMs ?? [];
  const buckets = new Map<number, number[]>();
  ends.forEach((t, i) => {
    const s = Math.floor(t / 1000);
    const b = buckets.get(s) ?? [];
    b.push(r.load.latenciesMs[i]);
    buckets.set(s, b);
  });
  return [...buckets].sort((a, b) => a[0] - b[0]).map(([s, b]) => [s + 0.5, percentile(b, p)]);
}

/** The latency-over-time plot of one client count, both systems, snapshots marked. */
function latencyPlot(dir: string, clients: number, yakt: SteadyRow, etcd: SteadyRow | undefined): string {
  const file = `steady-latency-${clients}.svg`;
  const series = [
    { name: "YAKt p50", color: "#1f77b4", points: perSecond(yakt, 50) },
    { name: "YAKt p99", color: "#d62728", points: perSecond(yakt, 99) },
    ...(etcd ? [{ name: "etcd p99", color: "#7f7f7f", points: perSecond(etcd, 99) }] : []),
  ];
  const marks = yakt.snapshotsAtMs.map((ms) => ({ x: ms / 1000, label: "snapshot" }));
  writeFileSync(join(dir, file), lineChart({ title: `Write latency per second, ${clients} clients`, xLabel: "seconds into the row", yLabel: "ms", series, marks }));
  return `![write latency over the ${clients}-client row](${file})`;
}

export function steadySection(dir: string, yakt: SteadyRow[], etcd: SteadyRow[] | null, opts: { writeMs: number; readMs: number }): string {
  const writes = (rs: SteadyRow[]) => rs.filter((r) => r.kind === "write");
  const reads = (rs: SteadyRow[]) => rs.filter((r) => r.kind === "read");
  const parts = [
    `## Steady state: ${opts.writeMs / 1000}-second rows on one cluster`,
    "",
    `Each system is one 3-member cluster for all its rows: writes for ${opts.writeMs / 1000} s at 16, then 64 clients, ` +
      `then linearizable reads for ${opts.readMs / 1000} s at 16 and 64 clients (2 s warm-up before each). YAKt writes are ` +
      "`PUT /v1/brokers/:id` with a new 200-character host, round-robin over 1,000 brokers, to the leader; etcd writes are " +
      "`PUT /v3/kv/put` of 200-byte values over 1,000 keys, spread over the members. YAKt reads are `GET /v1/brokers/:id` " +
      "(linearizable, the default), etcd reads `POST /v3/kv/range` (linearizable, the default), both spread over the members. " +
      "CPU is user + system time of the three member processes over the row, per acknowledged operation. YAKt runs with its " +
      "default `--snapshot-entries` (50,000), so every node snapshots several times per row.",
    "",
    rowTable("Writes", "write", [...writes(yakt), ...(etcd ? writes(etcd) : [])]),
    "",
    ...(etcd ? [ratioTable("YAKt / etcd, writes", writes(yakt), writes(etcd)), ""] : []),
    ...writes(yakt).map((y) => latencyPlot(dir, y.clients, y, etcd ? writes(etcd).find((e) => e.clients === y.clients) : undefined)).flatMap((l) => [l, ""]),
    rowTable("Linearizable reads", "read", [...reads(yakt), ...(etcd ? reads(etcd) : [])]),
    "",
    ...(etcd ? [ratioTable("YAKt / etcd, reads", reads(yakt), reads(etcd)), ""] : []),
  ];
  return parts.join("\n");
}

/** The mixed workload's table: one column per fleet mode (long polls, watch streams), run one after the other. */
export function mixedSection(results: MixedResult[]): string {
  const first = results[0];
  if (first === undefined) throw new Error("the mixed section needs at least one run");
  const cell = (f: (r: MixedResult) => string) => results.map(f).join(" | ");
  const p = (r: MixedResult, q: number) => f2(percentile(r.propagationMs, q));
  const kinds = (r: MixedResult) =>
    Object.entries(r.byKind)
      .map(([k, v]) => `${k} ${v.ok}${v.failed ? ` (${v.failed} failed)` : ""}`)
      .join(", ");
  const failures = results.flatMap((r) => [...r.failures, ...r.pollFailures].map(([reason, n]) => `- ${r.opts.mode}: ${n} × \`${reason.slice(0, 100)}\``));
  return [
    "## Mixed metadata workload",
    "",
    `${first.opts.brokers} brokers registered and spread evenly over the three nodes, following the metadata in one of two ways, ` +
      "each on a fresh cluster, one after the other: **long poll**, each broker long-polling `POST /v1/broker-mgmt/metadata` " +
      "(`wait_ms` 2000, so an idle broker still heartbeats every 2 s, and polls again at once on each answer); **watch**, each broker " +
      "heartbeating with a plain `POST /v1/broker-mgmt/metadata` every 2 s (the first brings the image, later ones carry `since`) and " +
      "following the metadata on one `GET /v1/watch` stream from the image's offset on. " +
      `Meanwhile ${first.opts.writers} clients create topics, allocate producer ids and read topics back (linearizable) in turn, ` +
      `spread over the nodes, for ${first.opts.durationMs / 1000} s. Propagation is from a write's acknowledgement to a broker's ` +
      "answer or event holding its record, over every (write, broker) pair seen. The CPU per delivered change is the cluster's CPU " +
      "over the row divided by those pairs: what the cluster spent, writes included, for each change each broker got.",
    "",
    `| measure | ${cell((r) => (r.opts.mode === "watch" ? "watch" : "long poll"))} |`,
    `|---|${cell(() => "---:")}|`,
    `| operations/s | ${cell((r) => `${f0(r.load.ok / r.load.seconds)} (${kinds(r)})`)} |`,
    `| failed operations | ${cell((r) => String(r.load.failed))} |`,
    `| leader changes during the row (elections: new terms) | ${cell((r) => `${r.leaderChanges} (${r.termChanges})`)} |`,
    `| broker polls or heartbeats/s (failed; failed before the row, at the fleet's start) | ${cell((r) => `${f0(r.polls / r.load.seconds)} (${r.failedPolls}; ${r.startupFailedPolls})`)} |`,
    `| commit-to-broker propagation p50 / p99 / max ms | ${cell((r) => `${p(r, 50)} / ${p(r, 99)} / ${p(r, 100)}`)} |`,
    `| changes delivered to brokers (write, broker pairs) | ${cell((r) => String(r.propagationMs.length))} |`,
    `| cluster CPU (3 nodes) / load generator CPU, s | ${cell((r) => `${f2(r.nodeCpuMs / 1000)} / ${f2(r.generatorCpuMs / 1000)}`)} |`,
    `| cluster CPU per delivered change, µs | ${cell((r) => f1((r.nodeCpuMs * 1000) / Math.max(1, r.propagationMs.length)))} |`,
    `| cluster CPU per broker poll or heartbeat, µs | ${cell((r) => f0((r.nodeCpuMs * 1000) / Math.max(1, r.polls)))} |`,
    `| Raft ticks/s per node (100 when its loop is never late) | ${cell((r) => r.nodes.map((n) => f0(n.ticksPerSecond)).join(" / "))} |`,
    "",
    failures.length > 0 ? ["Failures:", "", ...failures].join("\n") : "Nothing failed.",
  ].join("\n");
}
