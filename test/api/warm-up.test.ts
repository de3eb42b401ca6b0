// The start-up warm-up (src/api/warm-up.ts): its reads go through a throwaway app over the real
// service and are bounded (by count and by a deadline on an injected clock), in slices of a few ms
// with a turn of the event loop between them, their garbage collected every
// WARM_UP_READS_PER_COLLECTION reads and after the last; nothing is written and the served app's
// counters and kept bodies stay untouched; a failing read or collection is reported, never thrown.
// And a node started for real runs it once, before it listens for clients, reading its topics when
// it has some.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { fastRoutesOf } from "../../src/api/fast-route.ts";
import { TOPIC_PATH } from "../../src/api/routes/topics.ts";
import {
  WARM_UP_DEADLINE_MS,
  WARM_UP_READS_PER_COLLECTION,
  WARM_UP_SLICE_MS,
  WARM_UP_TOPICS,
  collectRestoreGarbage,
  warmUp,
  warmUpReader,
} from "../../src/api/warm-up.ts";
import { parseNodeArgs } from "../../src/cli/node-config.ts";
import { type RunningNode, startNode } from "../../src/cli/start-node.ts";
import { freePorts } from "../node/support/free-ports.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const broker = (id: number) => ({ brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` });

/** The harness with brokers 1-3 and `topics` topics of 20 partitions (bodies large enough to be compressed). */
async function withTopics(topics: number, msPerRead = 0) {
  const h = makeHarness();
  for (const id of [1, 2, 3]) expect((await send(h.app, "POST", "/v1/brokers", broker(id))).status).toBe(201);
  for (let i = 0; i < topics; i++) expect((await send(h.app, "POST", "/v1/topics", { name: `w${i}`, partitions: 20, replicationFactor: 3 })).status).toBe(201);
  // The warm-up's own app, as start-node.ts makes it: same service, its own counters and kept
  // bodies; what its fast route hands on to Elysia's handler is noted.
  const handedOn: string[] = [];
  const reader = warmUpReader((plainTopicReads) => {
    const app = createApp({ service: h.service, handle: h.handle, log: () => {}, plainTopicReads });
    const elysia = app.fetch;
    Object.defineProperty(app, "fetch", { value: (request: Request) => (handedOn.push(request.url), elysia.call(app, request)), writable: true, configurable: true });
    return app;
  });
  const asked: Request[] = [];
  // Each read takes `msPerRead` on this clock.
  const clock = { ms: 0 };
  const handle = async (request: Request) => {
    asked.push(request);
    clock.ms += msPerRead;
    return reader.handle(request);
  };
  return { h, handle, reader, handedOn, asked, clock, now: () => clock.ms, names: h.stateMachine.image().someTopicNames(WARM_UP_TOPICS) };
}

describe("warmUp", () => {
  test("reads up to its bound, cycling over the topics with each Accept-Encoding, a turn of the loop after each slice; nothing written, the served app untouched", async () => {
    const { h, handle, asked, names, now } = await withTopics(4, 3);
    const before = await h.fingerprint();
    let turns = 0;
    let collections = 0;
    const result = await warmUp({ handle, topicNames: names, reads: 10, now, yieldTurn: async () => void turns++, collectYoung: () => void collections++ });
    // Fewer reads than WARM_UP_READS_PER_COLLECTION: one collection, after the last.
    expect(result).toEqual({ reads: 10, readMs: 30, collections: 1, collectMs: 0 });
    expect(collections).toBe(1);
    // 3 ms a read, slices of WARM_UP_SLICE_MS (4): a turn before reads 3, 5, 7 and 9.
    expect(WARM_UP_SLICE_MS).toBe(4);
    expect(turns).toBe(4);
    expect(asked.map((r) => new URL(r.url).pathname)).toEqual(Array.from({ length: 10 }, (_, i) => `/v1/topics/${names[i % 4]}`));
    // Both forms of a topic GET in turn, the fast route's plain one first.
    expect(asked.map((r) => new URL(r.url).search)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? "" : "?consistency=stale")));
    expect(new Set(asked.map((r) => r.headers.get("accept-encoding")))).toEqual(new Set(["gzip, deflate, br, zstd", "gzip", "identity"]));
    expect(await h.fingerprint()).toBe(before);
    const metrics = (await send(h.app, "GET", "/metrics")).text;
    expect(metrics).toMatch(/^yakt_topic_bodies_misses_total 0$/m);
    expect(metrics).not.toContain('route="/v1/topics/:name"');
  });

  test("each read goes to the app's fast GET /v1/topics/:name handler, as a listening node's router sends it: the plain form is served by the fast route, stale underneath (no read round), the stale form handed on to Elysia; the bodies are the served app's", async () => {
    const { h, handle, reader, handedOn, asked, names } = await withTopics(2);
    let rounds = 0;
    const barrier = h.handle.readBarrier.bind(h.handle);
    h.handle.readBarrier = () => (rounds++, barrier());
    const result = await warmUp({ handle, topicNames: names, reads: 6, yieldTurn: async () => {}, collectYoung: () => {} });
    expect(result).toMatchObject({ reads: 6 });
    expect(result.stopped).toBeUndefined();
    // The plain reads answered by the fast route itself, the others handed on to Elysia's route.
    expect(reader.fastRouteReads()).toBe(3);
    expect(handedOn).toEqual(asked.filter((r) => r.url.includes("?")).map((r) => r.url));
    expect(handedOn).toHaveLength(3);
    for (const form of ["", "?consistency=stale"]) {
      const warm = await reader.handle(new Request(`http://warm-up.invalid/v1/topics/${names[0]}${form}`, { headers: { "accept-encoding": "identity" } }));
      expect(warm.status).toBe(200);
      expect(await warm.text()).toBe((await send(h.app, "GET", `/v1/topics/${names[0]}?consistency=stale`)).text);
    }
    // No read round for any of them; the served app's fast route reads the same plain form linearizably.
    expect(rounds).toBe(0);
    const served = await fastRoutesOf(h.app)[TOPIC_PATH]?.GET?.(new Request(`http://127.0.0.1/v1/topics/${names[0]}`));
    expect(served?.status).toBe(200);
    expect(rounds).toBe(1);
  });

  test("no topics: no read; a bound of 0: no read; no read, no collection", async () => {
    const { handle, asked, names } = await withTopics(2);
    const collectYoung = () => {
      throw new Error("nothing to collect");
    };
    expect(await warmUp({ handle, topicNames: [], reads: 5, collectYoung })).toEqual({ reads: 0, readMs: expect.any(Number), collections: 0, collectMs: 0 });
    expect(await warmUp({ handle, topicNames: names, reads: 0, collectYoung })).toEqual({ reads: 0, readMs: expect.any(Number), collections: 0, collectMs: 0 });
    expect(asked).toHaveLength(0);
  });

  test("collects the reads' young garbage every WARM_UP_READS_PER_COLLECTION reads and once after the last, timing the collections", async () => {
    const { handle, names, clock, now } = await withTopics(3);
    const collectedAfter: number[] = [];
    const reads = 2 * WARM_UP_READS_PER_COLLECTION + 50;
    // The reads answered so far when each collection runs; each collection takes 2 ms.
    let count = 0;
    const collectYoung = () => {
      collectedAfter.push(count);
      clock.ms += 2;
    };
    const counting = (request: Request) => (count++, handle(request));
    const result = await warmUp({ handle: counting, topicNames: names, reads, now, yieldTurn: async () => {}, collectYoung });
    expect(collectedAfter).toEqual([WARM_UP_READS_PER_COLLECTION, 2 * WARM_UP_READS_PER_COLLECTION, reads]);
    expect(result).toEqual({ reads, readMs: 6, collections: 3, collectMs: 6 });
    // Exactly a multiple of it: no second collection after the last read.
    collectedAfter.length = 0;
    count = 0;
    expect(await warmUp({ handle: counting, topicNames: names, reads: WARM_UP_READS_PER_COLLECTION, now, yieldTurn: async () => {}, collectYoung })).toMatchObject({ collections: 1 });
    expect(collectedAfter).toEqual([WARM_UP_READS_PER_COLLECTION]);
  });

  test("stops at its deadline (an injected clock), saying so", async () => {
    const { handle, names, now } = await withTopics(2, 10);
    let collections = 0;
    const result = await warmUp({ handle, topicNames: names, reads: 100, deadlineMs: 50, now, yieldTurn: async () => {}, collectYoung: () => void collections++ });
    // The reads done are collected after all.
    expect(result).toEqual({ reads: 6, readMs: 60, collections: 1, collectMs: 0, stopped: "deadline of 50 ms passed after 6 reads" });
    expect(collections).toBe(1);
  });

  test("a read that fails (a topic gone, an app that throws) stops the warm-up; a collection that fails does not; both are reported, never thrown", async () => {
    const { handle, names } = await withTopics(1);
    const gone = await warmUp({ handle, topicNames: ["w0", "nope"], reads: 4, yieldTurn: async () => {} });
    expect(gone).toEqual({ reads: 1, readMs: expect.any(Number), collections: 0, collectMs: 0, stopped: "read 2 failed: warm-up read of topic nope answered 404" });
    const broken = await warmUp({ handle: async () => Promise.reject(new Error("boom")), topicNames: ["w0"], reads: 4 });
    expect(broken).toEqual({ reads: 0, readMs: expect.any(Number), collections: 0, collectMs: 0, stopped: "read 1 failed: boom" });
    const collectYoung = () => {
      throw new Error("no heap");
    };
    const reads = WARM_UP_READS_PER_COLLECTION + 1;
    const uncollected = await warmUp({ handle, topicNames: names, reads, yieldTurn: async () => {}, collectYoung });
    // A collection is no step of the warm-up (young-collections.ts): the reads go on, and it is reported.
    expect(uncollected).toEqual({ reads, readMs: expect.any(Number), collections: 2, collectMs: expect.any(Number), collectError: "no heap" });
  });

  test("a bad bound is a broken invariant of the caller", async () => {
    const { handle, names } = await withTopics(1);
    await expect(warmUp({ handle, topicNames: names, reads: -1 })).rejects.toThrow("warm-up reads must be a whole number ≥ 0, got -1");
    await expect(warmUp({ handle, topicNames: names, deadlineMs: 0 })).rejects.toThrow("warm-up deadline must be positive, got 0 ms");
  });
});

describe("collectRestoreGarbage", () => {
  test("collects once and says how long it took; a collection that throws is reported", () => {
    let calls = 0;
    let clock = 100;
    expect(collectRestoreGarbage(() => void (calls++, (clock += 7)), () => clock)).toEqual({ gcMs: 7 });
    expect(calls).toBe(1);
    expect(
      collectRestoreGarbage(() => {
        throw new Error("no heap");
      }),
    ).toEqual({ gcFailed: "no heap" });
  });
});

describe("MetadataImage.someTopicNames", () => {
  test("names real topics, at most the limit", async () => {
    const { h } = await withTopics(5);
    const names = h.stateMachine.image().someTopicNames(3);
    expect(names).toHaveLength(3);
    for (const name of names) expect(h.stateMachine.image().topicByName(name)).toBeDefined();
    expect(new Set(h.stateMachine.image().someTopicNames(100))).toEqual(new Set(["w0", "w1", "w2", "w3", "w4"]));
  });
});

describe("a started node", () => {
  let node: RunningNode | null = null;
  let dir = "";
  afterEach(async () => {
    await node?.stop();
    node = null;
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  test("warms up once, after its restore's collection and before it listens; restarted, it reads its topics", async () => {
    dir = mkdtempSync(join(tmpdir(), "yakt-warm-up-"));
    const [http, peer, admin] = freePorts(3);
    const command = parseNodeArgs(["--node-id", "1", "--data-dir", dir, "--listen-http", `127.0.0.1:${http}`, "--listen-peer", `127.0.0.1:${peer}`, "--listen-admin", `127.0.0.1:${admin}`]);
    if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
    const config = command.config;
    const start = async () => {
      const events: Record<string, unknown>[] = [];
      node = await startNode(config, { logSink: (line) => events.push(JSON.parse(line) as Record<string, unknown>) });
      const names = events.map((e) => e.event);
      expect(names.filter((n) => n === "warm_up_done")).toHaveLength(1);
      expect(names.indexOf("warm_up_done")).toBeLessThan(names.indexOf("node_listening"));
      return events.find((e) => e.event === "warm_up_done") as Record<string, unknown>;
    };
    // A fresh data dir holds no topic: nothing to read, the collection done.
    expect(await start()).toMatchObject({ reads: 0, fastRouteReads: 0, gcMs: expect.any(Number) });
    const post = (path: string, body: unknown) => fetch(`http://127.0.0.1:${http}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await waitUntil("the node leads", () => node?.runtime.isLeader());
    expect((await post("/v1/brokers", broker(1))).status).toBe(201);
    expect((await post("/v1/topics", { name: "kept", partitions: 20, replicationFactor: 1 })).status).toBe(201);
    // From its snapshot the image is restored before the warm-up (a log is replayed only after it).
    expect((await post("/v1/snapshots", {})).status).toBe(201);
    await node?.stop();
    const again = await start();
    expect(again.reads).toBeGreaterThan(0);
    // Every other read in the fast route's plain form, served by its handler before the node listens.
    expect(again.fastRouteReads).toBe(Math.ceil((again.reads as number) / 2));
    // Its garbage collected (at least after its last read), and what it found and left logged.
    expect(again.collections).toBeGreaterThanOrEqual(1);
    expect(again).toMatchObject({ memoryBefore: { rssMiB: expect.any(Number), heapMiB: expect.any(Number) }, memoryAfter: { rssMiB: expect.any(Number) } });
    // Whole, or cut by its deadline on a loaded machine; never a failed read.
    expect([undefined, `deadline of ${WARM_UP_DEADLINE_MS} ms passed after ${again.reads} reads`]).toContain(again.stopped as string | undefined);
    expect((await fetch(`http://127.0.0.1:${http}/v1/topics/kept`)).status).toBe(200);
  });
});
