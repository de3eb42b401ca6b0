// The full metadata image at scale, in-process: 30 brokers on 6 racks and TOPICS topics of
// PARTITIONS partitions (RF 3; 10,000 × 100 = 1,000,000 partitions by default) applied to the real
// state machine, then the whole image read over a real socket from the real API on port 0. Rows:
//   before — the document built whole as the routes did until streaming (image.body(), then one
//            JSON.stringify): the loop is held for all of it, so first byte = whole = longest pause;
//   after  — GET /v1/client-mgmt/metadata streamed (plain, gzip, zstd, NDJSON) and the paged form.
// Measured: time to first byte, whole time, the longest event-loop pause seen by a 1 ms
// setInterval probe while the answer is produced and read, the process's CPU time over the row, and
// the bytes on the wire. Speed is
// never asserted; run it to compare builds:  bun scripts/bench/image-stream.ts [TOPICS=…] [PARTITIONS=…]
import { cpus, loadavg } from "node:os";
import { createApp } from "../../src/api/app.ts";
import { serveApi } from "../../src/api/serve.ts";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../../test/support/local-consensus.ts";

const TOPICS = Number(process.env.TOPICS ?? 10_000);
const PARTITIONS = Number(process.env.PARTITIONS ?? 100);
const BROKERS = 30;
const T0 = "2026-11-24T00:00:00.000Z";
const MIB = 1024 * 1024;

interface Row {
  row: string;
  firstByteMs: number;
  wholeMs: number;
  longestPauseMs: number;
  bytes: number;
  /** CPU time of this process (server and client both) over the row: steadier than wall time on a shared machine. */
  cpuMs: number;
}

/** CPU ms (user + system) of this process since `since`. */
function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The longest gap between ticks of a 1 ms interval, minus the interval: how long the loop was held. */
function loopProbe() {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 1);
    last = now;
  }, 1);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last - 1);
    },
  };
}

function fill(sm: MetadataStateMachine): void {
  let index = 0;
  const apply = (c: Command) => {
    const result = sm.apply(++index, encodeCommand(c)) as { ok?: boolean } | null;
    if (result && result.ok === false) throw new Error(`fill command ${index} was rejected: ${JSON.stringify(result)}`);
  };
  for (let b = 1; b <= BROKERS; b++) {
    apply({ kind: "registerBroker", timestamp: T0, internalUUID: `uuid-broker-${b}`, brokerId: b, brokerHost: `broker-${b}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack-${b % 6}` });
  }
  for (let t = 0; t < TOPICS; t++) {
    apply({ kind: "createTopic", timestamp: T0, topicUUID: `uuid-topic-${t}`, name: `topic-${String(t).padStart(6, "0")}`, partitions: PARTITIONS, replicationFactor: 3 });
  }
}

async function before(sm: MetadataStateMachine): Promise<Row> {
  const probe = loopProbe();
  await Bun.sleep(5);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const body = sm.image().body();
  const text = JSON.stringify({ mode: "snapshot", offset: sm.appliedIndex(), snapshot: { ...body, producers: [] } });
  const bytes = new TextEncoder().encode(text).length;
  const wholeMs = performance.now() - started;
  const cpuMs = cpuSince(cpu);
  await Bun.sleep(5);
  return { row: "before: built whole (body() + JSON.stringify)", firstByteMs: wholeMs, wholeMs, longestPauseMs: probe.stop(), bytes, cpuMs };
}

async function streamed(base: string, row: string, path: string, headers: Record<string, string>): Promise<Row> {
  const probe = loopProbe();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { headers, decompress: false } as RequestInit);
  if (response.status !== 200) throw new Error(`${row}: ${response.status} ${await response.text()}`);
  let firstByteMs = -1;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    bytes += chunk.length;
  }
  return { row, firstByteMs, wholeMs: performance.now() - started, longestPauseMs: probe.stop(), bytes, cpuMs: cpuSince(cpu) };
}

async function paged(base: string, limit: number): Promise<Row> {
  const probe = loopProbe();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let firstByteMs = -1;
  let bytes = 0;
  let next: string | null = "";
  for (let pages = 0; next !== null; pages++) {
    const path: string = next === "" ? `?limit=${limit}` : `?cursor=${next}&limit=${limit}`;
    const response: Response = await fetch(`${base}/v1/client-mgmt/metadata${path}`);
    const text = await response.text();
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    if (response.status !== 200) throw new Error(`page ${pages}: ${response.status} ${text}`);
    bytes += text.length;
    next = (JSON.parse(text) as { next: string | null }).next;
  }
  return { row: `after: paged, limit=${limit}`, firstByteMs, wholeMs: performance.now() - started, longestPauseMs: probe.stop(), bytes, cpuMs: cpuSince(cpu) };
}

function print(rows: Row[]): void {
  const ms = (n: number) => n.toFixed(1);
  // The machine is shared: a loop pause includes time the process was not scheduled at all.
  const load = loadavg().map((n) => n.toFixed(1)).join(" ");
  console.log(`\n${TOPICS} topics × ${PARTITIONS} partitions (${(TOPICS * PARTITIONS).toLocaleString("en")} partitions), ${BROKERS} brokers, Bun ${Bun.version}, ${cpus().length} CPUs, load average ${load}\n`);
  console.log("| row | first byte ms | whole ms | CPU ms (server + client) | longest loop pause ms | MiB |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.row} | ${ms(r.firstByteMs)} | ${ms(r.wholeMs)} | ${r.cpuMs.toFixed(0)} | ${ms(r.longestPauseMs)} | ${(r.bytes / MIB).toFixed(1)} |`);
}

async function main(): Promise<void> {
  const sm = new MetadataStateMachine();
  const filling = performance.now();
  fill(sm);
  console.log(`filled ${sm.image().partitionCount().toLocaleString("en")} partitions in ${((performance.now() - filling) / 1000).toFixed(1)} s`);
  const handle = new LocalConsensus({ stateMachine: sm });
  const service = createMetadataService({ handle, stateMachine: sm, log: () => {} });
  const app = serveApi(createApp({ service, handle, log: () => {} }), { hostname: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${app.server?.port}`;
  try {
    const rows: Row[] = [];
    const path = "/v1/client-mgmt/metadata";
    // One unmeasured stream first, so no row pays for compiling the code it runs. The whole
    // build goes last, so the garbage of its 272 MB string lands in no other row (a build of
    // seconds pays nothing noticeable for compiling).
    await streamed(base, "warm-up", path, {});
    const after: [string, Record<string, string>][] = [
      ["after: streamed JSON", {}],
      ["after: streamed JSON, gzip", { "accept-encoding": "gzip" }],
      ["after: streamed JSON, zstd", { "accept-encoding": "zstd" }],
      ["after: streamed NDJSON", { accept: "application/x-ndjson" }],
    ];
    for (const [row, headers] of after) {
      Bun.gc(true);
      rows.push(await streamed(base, row, path, headers));
    }
    Bun.gc(true);
    rows.push(await paged(base, 10_000));
    Bun.gc(true);
    rows.unshift(await before(sm));
    print(rows);
  } finally {
    await app.stop();
  }
}

await main();
