// The benchmark's table, printed and written as bench/RESULTS.md.
import { type LoadResult, median, percentile } from "./load.ts";

export interface Targets {
  writesPerSec64: number;
  p99Ms: number;
  p50Single: number;
  failoverMedianMs: number;
  failoverP99Ms: number;
}

export const TARGETS: Targets = { writesPerSec64: 6_000, p99Ms: 50, p50Single: 2, failoverMedianMs: 250, failoverP99Ms: 500 };

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "n/a");

export function loadTable(title: string, rows: LoadResult[]): string {
  const lines = [
    `### ${title}`,
    "",
    "| clients | acknowledged | failed | writes/s | p50 ms | p99 ms |",
    "|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.clients} | ${r.ok} | ${r.failed} | ${f1(r.ok / r.seconds)} | ${f2(percentile(r.latenciesMs, 50))} | ${f2(percentile(r.latenciesMs, 99))} |`,
    ),
  ];
  return lines.join("\n");
}

export function failoverTable(trialsMs: number[]): string {
  return [
    "### Failover (SIGKILL the leader → next acknowledged write)",
    "",
    `trials: ${trialsMs.map((t) => t.toFixed(0)).join(", ")} ms`,
    "",
    `median ${f1(median(trialsMs))} ms, max ${f1(Math.max(...trialsMs))} ms`,
  ].join("\n");
}

export function ratioTable(yakt: LoadResult[], etcd: LoadResult[]): string {
  const lines = ["### YAKt / etcd (writes/s)", "", "| clients | YAKt | etcd | ratio |", "|---:|---:|---:|---:|"];
  yakt.forEach((y, i) => {
    const e = etcd[i];
    const yw = y.ok / y.seconds;
    const ew = e ? e.ok / e.seconds : Number.NaN;
    lines.push(`| ${y.clients} | ${f1(yw)} | ${f1(ew)} | ${f2(yw / ew)} |`);
  });
  return lines.join("\n");
}

export function verdict(rows: LoadResult[], failoverMs: number[]): string {
  const by = (c: number) => rows.find((r) => r.clients === c);
  const r64 = by(64);
  const r1 = by(1);
  const checks: [string, number, string, boolean][] = [
    ["writes/s at 64 clients", r64 ? r64.ok / r64.seconds : Number.NaN, `≥ ${TARGETS.writesPerSec64}`, !!r64 && r64.ok / r64.seconds >= TARGETS.writesPerSec64],
    ["p99 at 64 clients (ms)", r64 ? percentile(r64.latenciesMs, 99) : Number.NaN, `≤ ${TARGETS.p99Ms}`, !!r64 && percentile(r64.latenciesMs, 99) <= TARGETS.p99Ms],
    ["p50 at 1 client (ms)", r1 ? percentile(r1.latenciesMs, 50) : Number.NaN, `≤ ${TARGETS.p50Single}`, !!r1 && percentile(r1.latenciesMs, 50) <= TARGETS.p50Single],
    ["failover median (ms)", median(failoverMs), `≤ ${TARGETS.failoverMedianMs}`, median(failoverMs) <= TARGETS.failoverMedianMs],
    // With 10 trials the 99th percentile is the slowest trial.
    ["failover p99 (ms)", percentile(failoverMs, 99), `≤ ${TARGETS.failoverP99Ms}`, percentile(failoverMs, 99) <= TARGETS.failoverP99Ms],
  ];
  return [
    "### Against the targets",
    "",
    "| measure | value | target | met |",
    "|---|---:|---:|:-:|",
    ...checks.map(([name, v, t, ok]) => `| ${name} | ${f2(v)} | ${t} | ${ok ? "yes" : "no"} |`),
  ].join("\n");
}

/** Failed writes by reason (503s while leadership moves are expected; clients retry them). */
export function failureLines(failures: Map<string, number>): string {
  if (failures.size === 0) return "No write failed.";
  const byReason = new Map<string, number>();
  for (const [reason, n] of failures) {
    // Lost-proposal messages name their index; group them.
    const key = reason.replace(/index \d+/, "index N").replace(/entry \d+/, "entry N").slice(0, 90);
    byReason.set(key, (byReason.get(key) ?? 0) + n);
  }
  return ["Failed writes by reason:", "", ...[...byReason].map(([r, n]) => `- ${n} × \`${r}\``)].join("\n");
}
