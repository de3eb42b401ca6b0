// The cost of TLS in `make bench`: the same write load (POST /v1/topics to the leader) against a
// 3-node cluster without TLS and one with peer mTLS and HTTPS on (certificates made by
// scripts/make-certs.sh), alternating the two per row so a change in the machine's load hits both
// alike. Reports writes/s, p99 and the nodes' CPU per acknowledged write, and the ratios.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMs } from "../../test/cluster/support/proc-stats.ts";
import { makeCerts } from "../../test/support/make-certs.ts";
import { type LoadResult, percentile, runLoad } from "./load.ts";
import { type SecuredTarget, YaktTarget } from "./yakt-target.ts";

const CLIENTS = [16, 64];

interface CostRow {
  load: LoadResult;
  /** Milliseconds of CPU (user + system, all three nodes) per acknowledged write. */
  cpuPerWriteMs: number;
}

function securedTarget(certs: string): SecuredTarget {
  const file = (name: string) => join(certs, name);
  return {
    nodeFlags: (id) => [
      ...["--tls-cert", file(`node-${id}.crt`), "--tls-key", file(`node-${id}.key`)],
      ...["--peer-tls-cert", file(`node-${id}.crt`), "--peer-tls-key", file(`node-${id}.key`), "--peer-tls-ca", file("ca.crt")],
    ],
    client: { tls: { ca: readFileSync(file("ca.crt"), "utf8") } },
  };
}

/** One row on a fresh cluster: a warm-up, then the measured load with the nodes' CPU around it. */
async function costRow(secured: SecuredTarget | null, clients: number, durationMs: number): Promise<CostRow> {
  const yakt = new YaktTarget(secured);
  try {
    await yakt.start();
    const run = `${secured ? "tls" : "plain"}${clients}r${Date.now()}`;
    await runLoad({ clients, durationMs: 500, maxRequests: 200_000, request: (seq) => yakt.write(`w${run}`, seq) });
    const pids = yakt.cluster.live().map((id) => yakt.cluster.pid(id));
    const before = pids.map(cpuMs);
    const load = await runLoad({ clients, durationMs, maxRequests: 200_000, request: (seq) => yakt.write(run, seq) });
    const used = pids.reduce((sum, pid, i) => sum + cpuMs(pid) - before[i], 0);
    console.log(`tls-cost: ${secured ? "TLS" : "plain"} ${clients} clients done`);
    return { load, cpuPerWriteMs: used / Math.max(1, load.ok) };
  } finally {
    await yakt.stop();
  }
}

const f = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const rate = (r: CostRow) => r.load.ok / r.load.seconds;
const p99 = (r: CostRow) => percentile(r.load.latenciesMs, 99);

function table(plain: CostRow[], tls: CostRow[]): string {
  const lines = [
    "### The cost of TLS (peer mTLS + HTTPS against neither)",
    "",
    "| clients | writes/s plain | writes/s TLS | ratio | p99 ms plain | p99 ms TLS | ratio | CPU µs/write plain | CPU µs/write TLS | ratio |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  plain.forEach((p, i) => {
    const t = tls[i];
    const cpu = (r: CostRow) => r.cpuPerWriteMs * 1000;
    lines.push(
      `| ${p.load.clients} | ${f(rate(p), 0)} | ${f(rate(t), 0)} | ${f(rate(t) / rate(p), 2)} | ${f(p99(p), 2)} | ${f(p99(t), 2)} | ${f(p99(t) / p99(p), 2)} | ${f(cpu(p), 0)} | ${f(cpu(t), 0)} | ${f(cpu(t) / cpu(p), 2)} |`,
    );
  });
  lines.push("", "CPU per write: user + system time of the three node processes during the row, over the acknowledged writes (the load generator excluded).");
  return lines.join("\n");
}

/** Both clusters at each client count, plain first; the section for bench/RESULTS.md. */
export async function tlsCostSection(durationMs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "yakt-bench-tls-"));
  try {
    makeCerts(join(dir, "certs"));
    const secured = securedTarget(join(dir, "certs"));
    const plain: CostRow[] = [];
    const tls: CostRow[] = [];
    for (const clients of CLIENTS) {
      plain.push(await costRow(null, clients, durationMs));
      tls.push(await costRow(secured, clients, durationMs));
    }
    return table(plain, tls);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await tlsCostSection(Number(process.env.BENCH_DURATION_MS ?? 5_000)));
