// The watch bounds on a real dist/yakt over real sockets: --max-watchers refuses one watcher more
// with 503; watchers whose sockets never read (paused, so the kernel buffers fill and the node's
// stream queues grow) are cut once the node-wide bound of unsent bytes (64 MiB) or their own
// (8 MiB) is passed, and their bytes are freed; meanwhile a watcher that reads gets every record
// and the node keeps taking writes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Socket, connect } from "node:net";
import { wallNow } from "../../scripts/bench/broker-polls.ts";
import { SseStream } from "../../scripts/bench/sse-client.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

const STALLED = 12;
const TOTAL_BOUND = 64 * 1024 * 1024;
const cluster = new ProcessCluster(1, ["--max-watchers", String(STALLED + 2)]);
const sockets: Socket[] = [];
const streams: SseStream[] = [];

beforeAll(async () => {
  cluster.startAll();
  await cluster.waitForLeader();
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of streams) s.close("the test ended");
  await cluster.stopAll();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(cluster.url(1, "/metrics"))).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
}

/** A watcher that sends its request and never reads a byte of the answer. */
function stalled(port: number, since: number): Socket {
  const socket = connect({ host: "127.0.0.1", port });
  socket.pause();
  socket.on("error", () => {}); // the node drops it in the end: expected
  socket.write(`GET /v1/watch?since=${since} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
  sockets.push(socket);
  return socket;
}

test("stalled watchers are cut and their bytes freed while a reading watcher gets every record", async () => {
  const registered = await http("POST", cluster.url(1, "/v1/brokers"), { brokerId: 1, brokerHost: "b1", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1" });
  expect(registered.status).toBe(201);
  const since = (registered.body as { offset: number }).offset;
  const url = new URL(cluster.url(1, "/"));
  for (let i = 0; i < STALLED; i++) stalled(Number(url.port), since);
  let reached = since;
  const ended: string[] = [];
  for (let i = 0; i < 2; i++) {
    const stream = new SseStream(url.hostname, Number(url.port), {
      event: (type, id) => {
        if (type === "record" && i === 0) reached = id;
      },
      end: (reason) => ended.push(reason),
    }, wallNow);
    await stream.open("/v1/watch", since);
    streams.push(stream);
  }
  await waitUntil("every watcher open", async () => (await metric("yakt_watch_watchers")) === STALLED + 2, 10_000);
  const refused = await http("GET", cluster.url(1, "/v1/watch"));
  expect(refused.status).toBe(503);
  expect(refused.body).toMatchObject({ error: "overloaded" });
  streams.pop()?.close("made room");

  // Topics of 2,000 partitions: ~0.7 MB of events each, so the stalled queues pass the bounds soon.
  let last = 0;
  let peak = 0;
  for (let i = 0; i < 60; i++) {
    const created = await http("POST", cluster.url(1, "/v1/topics"), { name: `bulk-${i}`, partitions: 2_000 }, 30_000);
    expect(created.status).toBe(201);
    last = (created.body as { topic: { offset: number } }).topic.offset;
    peak = Math.max(peak, await metric("yakt_watch_unsent_bytes"));
  }
  await waitUntil("every stalled watcher cut", async () => (await metric("yakt_watch_cut_total")) === STALLED, 30_000);
  expect(await metric("yakt_watch_watchers")).toBe(1);
  // Over the bound by at most one change's events to the stalled watchers (~0.7 MB each).
  expect(peak).toBeLessThan(TOTAL_BOUND + STALLED * 1024 * 1024);
  await waitUntil("the reader has the last record", () => reached >= last, 30_000);
  expect(ended).toEqual(["made room"]);
  // The cut watchers' bytes are dropped with their connections (10 s after the cut at the latest).
  await waitUntil("the stalled watchers' bytes freed", async () => (await metric("yakt_watch_unsent_bytes")) === 0, 30_000, 200);
  const after = await http("POST", cluster.url(1, "/v1/topics"), { name: "after-the-cuts" });
  expect(after.status).toBe(201);
}, 120_000);
