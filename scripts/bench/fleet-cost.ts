// What a long poll costs the broker fleet itself (the load generator of the mixed rows), apart from
// the cluster: the fleet's poll loops (broker-polls.ts over keepalive-client.ts) against a bare
// Bun.serve in a process of its own that answers BrokerMgmt long polls as a node does — a diff of
// every record after `since` (topic records of a node's size, in the envelope's order), or, with
// nothing new, held until the next commit or wait_ms — committing one record every COMMIT_MS. It
// prints the fleet's CPU per poll (this process, cpuUsage) beside the server's (/proc), the polls
// per second and the records per answer, so two versions of the fleet can be compared back to back
// on a loaded machine by CPU rather than by wall time. Every answer is still scanned and checked
// as in the mixed rows. With FLEET_MODE=watch the fleet watches instead (broker-watches.ts over
// sse-client.ts): the bare server answers the heartbeats and writes each commit's record event to
// every stream, one write per stream, and the CPU is given per record event a broker read. Not
// part of `make bench` or the tests (speed is never asserted):
//   bun run scripts/bench/fleet-cost.ts    (BROKERS=1000 COMMIT_MS=5 DURATION_S=10 FLEET_MODE=poll)
import { freePorts } from "../../test/node/support/free-ports.ts";
import { type FleetMode, fleetLoops } from "./broker-fleet.ts";
import type { PollTarget } from "./broker-polls.ts";
import { processCpuMs } from "./cpu.ts";

const BROKERS = Number(process.env.BROKERS ?? 1_000);
const COMMIT_MS = Number(process.env.COMMIT_MS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WAIT_MS = 2_000;
const MODE = (process.env.FLEET_MODE ?? "poll") as FleetMode;

/** The bare node: run as a child process (FLEET_COST_PORT set), so its CPU is not the fleet's. */
function serve(port: number): void {
  let offset = 1;
  const records: string[] = [];
  let parked: { since: number; answer: (text: string) => void }[] = [];
  const record = (at: number) =>
    `{"type":"metadata","name":"TopicRecord","offset":${at},"timestamp":"2026-12-07T11:00:00.000Z","fields":{"topicUUID":"5d1c0000-0000-4000-8000-${String(at).padStart(12, "0")}","name":"mix1000-topic-${at}"}}`;
  // Answers are shared per (since, offset), as a node's are (shared-answers.ts).
  const answers = new Map<number, string>();
  const diff = (since: number) => {
    let text = answers.get(since);
    if (text === undefined) {
      text = `{"mode":"diff","offset":${offset},"records":[${records.slice(Math.max(0, since), offset).join(",")}]}`;
      answers.set(since, text);
    }
    return text;
  };
  const headers = { "content-type": "application/json;charset=utf-8", "x-metadata-offset": "0", vary: "accept, accept-encoding" };
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const encoder = new TextEncoder();
  const watch = (request: Request) => {
    let mine: ReadableStreamDefaultController<Uint8Array> | null = null;
    const from = Number(request.headers.get("last-event-id") ?? 0);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        mine = c;
        streams.add(c);
        c.enqueue(encoder.encode(`retry: 1000\n\n${records.slice(from, offset).map((r, i) => `event: record\nid: ${from + i + 1}\ndata: ${r}\n\n`).join("")}`));
      },
      cancel() {
        if (mine) streams.delete(mine);
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
  };
  Bun.serve({
    hostname: "127.0.0.1",
    port,
    idleTimeout: 0,
    async fetch(request) {
      if (request.method === "GET") return watch(request);
      const body = (await request.json()) as { since?: number; wait_ms: number };
      if (body.since === undefined) return new Response(`{"mode":"snapshot","offset":${offset},"snapshot":{"brokers":[],"topics":[],"partitions":[],"producers":[]}}`, { headers });
      if (body.since < offset) return new Response(diff(body.since), { headers });
      const since = body.since;
      return new Promise<Response>((resolve) => {
        const timer = setTimeout(() => done(`{"mode":"diff","offset":${offset},"records":[]}`), body.wait_ms);
        const done = (text: string) => {
          clearTimeout(timer);
          resolve(new Response(text, { headers }));
        };
        parked.push({ since, answer: done });
      });
    },
  });
  records.push(record(1));
  setInterval(() => {
    offset++;
    records.push(record(offset));
    answers.clear();
    // One write per stream per commit, as a node's watch feed makes (watch-hub.ts).
    const event = encoder.encode(`event: record\nid: ${offset}\ndata: ${records[offset - 1]}\n\n`);
    for (const c of streams) c.enqueue(event);
    const woken = parked;
    parked = [];
    for (const p of woken) p.answer(diff(p.since));
  }, COMMIT_MS);
  console.log("serving");
}

if (process.env.FLEET_COST_PORT) serve(Number(process.env.FLEET_COST_PORT));
else {
  const [port] = freePorts(1);
  const server = Bun.spawn([process.execPath, "run", import.meta.path], { env: { ...process.env, FLEET_COST_PORT: String(port) }, stdout: "pipe", stderr: "inherit" });
  try {
    const reader = server.stdout.getReader();
    const first = await reader.read();
    if (!new TextDecoder().decode(first.value).includes("serving")) throw new Error("the bare node did not start");
    const targets: PollTarget[] = Array.from({ length: BROKERS }, (_, i) => ({ brokerId: 1_000 + i, node: 1, host: `127.0.0.1:${port}` }));
    const polls = fleetLoops(MODE, WAIT_MS);
    polls.start(targets);
    // Every broker's first poll (spread over one interval) and a little more.
    await Bun.sleep(WAIT_MS + 1_000);
    polls.take();
    const cpu0 = process.cpuUsage();
    const server0 = processCpuMs(server.pid);
    await Bun.sleep(DURATION_S * 1_000);
    const cpu = process.cpuUsage(cpu0);
    const serverMs = processCpuMs(server.pid) - server0;
    const report = polls.take();
    await polls.stop();
    const records = report.arrivals.length / 3;
    const perPoll = (micros: number) => (micros / Math.max(1, report.polls)).toFixed(1);
    const perRecord = (micros: number) => (micros / Math.max(1, records)).toFixed(2);
    console.log(
      MODE === "watch"
        ? `${BROKERS} watching brokers, a commit every ${COMMIT_MS} ms, ${DURATION_S} s: ${(records / DURATION_S).toFixed(0)} record events read/s, ${report.polls} heartbeats (${report.failed} failed); ` +
            `fleet CPU ${perRecord(cpu.user + cpu.system)} µs a record event (user ${perRecord(cpu.user)}, system ${perRecord(cpu.system)}), bare node ${perRecord(serverMs * 1_000)} µs`
        : `${BROKERS} brokers, a commit every ${COMMIT_MS} ms, ${DURATION_S} s: ${(report.polls / DURATION_S).toFixed(0)} polls/s (${report.failed} failed), ${(records / Math.max(1, report.polls)).toFixed(2)} records an answer; ` +
            `fleet CPU ${perPoll(cpu.user + cpu.system)} µs a poll (user ${perPoll(cpu.user)}, system ${perPoll(cpu.system)}), bare node ${perPoll(serverMs * 1_000)} µs, ${perRecord((cpu.user + cpu.system))} µs a record`,
    );
    if (report.failed > 0) console.log(JSON.stringify(report.failures));
  } finally {
    server.kill();
    await server.exited;
  }
}
