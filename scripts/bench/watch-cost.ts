// What one committed change costs a node per watcher of GET /v1/watch: a one-node dist/yakt with
// WATCHERS raw SSE streams (sse-client.ts) open on it; CHANGES topic creations are made one at a
// time, each waited for until every watcher got its record, first with no watcher open and then
// with all of them, and the node's CPU (/proc, user + system) for the difference is printed per
// change and watcher. Not part of `make bench` or the tests (speed is never asserted); run it to
// compare two builds of the code (make build first, it runs dist/yakt):
//   bun run scripts/bench/watch-cost.ts        (WATCHERS=1000 CHANGES=300)
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { post, wallNow } from "./broker-fleet.ts";
import { processCpuMs } from "./cpu.ts";
import { SseStream } from "./sse-client.ts";

const WATCHERS = Number(process.env.WATCHERS ?? 1_000);
const CHANGES = Number(process.env.CHANGES ?? 300);

const cluster = new ProcessCluster(1);
let seen: Int32Array = new Int32Array(0);
const streams: SseStream[] = [];
/** Streams that ended before the bench closed them: each would stall the waits, so they are named. */
const ended: string[] = [];
try {
  cluster.startAll();
  await cluster.waitForLeader();
  const url = new URL(cluster.url(1, "/"));
  const create = async (name: string): Promise<number> => {
    const res = await fetch(cluster.url(1, "/v1/topics"), post({ name }));
    if (res.status !== 201) throw new Error(`a topic creation failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { offset?: number; topic?: { offset: number } };
    const offset = body.offset ?? body.topic?.offset;
    if (offset === undefined) throw new Error(`a topic creation answered no offset: ${JSON.stringify(body).slice(0, 100)}`);
    return offset;
  };
  /** Makes `n` changes, each once every open watcher has the last; the node's CPU ms for them. */
  const changes = async (tag: string, n: number): Promise<number> => {
    const pid = cluster.pid(1);
    const cpu0 = processCpuMs(pid);
    for (let i = 0; i < n; i++) {
      const offset = await create(`${tag}-${i}`);
      await waitUntil(`every watcher has offset ${offset}`, () => {
        if (ended.length > 0) throw new Error(`streams ended: ${ended.slice(0, 3).join("; ")}`);
        return seen.every((s) => s >= offset);
      }, 30_000, 1);
    }
    return processCpuMs(pid) - cpu0;
  };
  const since = await create("cost-start");
  const alone = await changes("alone", CHANGES);
  seen = new Int32Array(WATCHERS).fill(-1);
  for (let i = 0; i < WATCHERS; i++) {
    const stream = new SseStream(url.hostname, Number(url.port), {
      event: (type, id) => {
        if (type === "record") seen[i] = id;
      },
      end: (reason) => ended.push(`watcher ${i}: ${reason}`),
    }, wallNow);
    await stream.open(`/v1/watch?since=${since}`, null);
    streams.push(stream);
  }
  await changes("warm", 20);
  const watched = await changes("watched", CHANGES);
  const perChange = (watched - alone) / CHANGES;
  console.log(
    `${WATCHERS} watchers, ${CHANGES} changes: node CPU per change ${(alone / CHANGES).toFixed(2)} ms alone, ${(watched / CHANGES).toFixed(2)} ms watched; ` +
      `${((perChange * 1000) / WATCHERS).toFixed(2)} µs per change and watcher`,
  );
} finally {
  ended.length = 0;
  for (const s of streams) s.close("closed by the bench");
  await cluster.stopAll();
}
