// GET /v1/watch through app.handle over the real metadata service: the snapshot-first rules,
// record events with offsets as ids, Last-Event-ID resumption, bad input, the per-watcher buffer
// bound, heartbeats, the watcher bound and shutdown; and the records of several commits applied
// before a feed go to each watcher as one write (one chunk of its stream), whatever their number.
import { expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { WatchHub, type WatchLimits } from "../../src/api/watch/watch-hub.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";
import { SseReader } from "./support/sse-reader.ts";

function setup(limits: Partial<WatchLimits> = {}, defer?: (fn: () => void) => void) {
  const h = makeHarness();
  const watchers = new WatchHub(h.service, h.handle, limits, defer);
  const app = createApp({ service: h.service, handle: h.handle, watchers, now: () => h.clock.now(), log: () => {} });
  const watch = async (query = "", headers: Record<string, string> = {}) => {
    const res = await app.handle(new Request(`http://localhost/v1/watch${query}`, { headers }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    return new SseReader(res.body as ReadableStream<Uint8Array>);
  };
  const createTopic = async (name: string) => {
    const r = await send(app, "POST", "/v1/topics", { name });
    expect(r.status).toBe(201);
    return r.body.topic.offset as number;
  };
  return { ...h, app, watchers, watch, createTopic };
}

test("without since: a snapshot event first, then every committed record with its offset as id", async () => {
  const s = setup();
  await s.seed();
  const reader = await s.watch();
  const first = await reader.next();
  expect(first?.event).toBe("snapshot");
  expect(first?.data.snapshot.topics.map((t: { fields: { name: string } }) => t.fields.name)).toEqual(["t1"]);
  expect(first?.id).toBe(String(first?.data.offset));
  const offset = await s.createTopic("orders");
  const record = await reader.next();
  expect(record).toMatchObject({ event: "record", id: String(offset), data: { name: "TopicRecord", offset, fields: { name: "orders" } } });
  reader.cancel();
});

test("a recent since gets only the records after it; Last-Event-ID wins over since", async () => {
  const s = setup();
  await s.seed();
  const t1 = (await send(s.app, "GET", "/v1/topics/t1")).body.topic.offset as number;
  const fromStart = await s.watch("?since=0");
  const all = await fromStart.until((e) => e.data.offset === t1);
  expect(all.every((e) => e.event === "record")).toBe(true);
  expect(all.map((e) => e.data.name)).toEqual(["RegisterBrokerRecord", "RegisterBrokerRecord", "RegisterBrokerRecord", "TopicRecord"]);
  fromStart.cancel();

  const resumed = await s.watch("?since=0", { "last-event-id": String(t1 - 1) });
  expect(await resumed.next()).toMatchObject({ event: "record", id: String(t1), data: { name: "TopicRecord" } });
  resumed.cancel();
});

test("the records of several commits applied before a feed reach each watcher as one write; metrics count feeds and writes", async () => {
  // Feeds run when the test says: the commits below are all applied before the next one.
  const due: (() => void)[] = [];
  const s = setup({}, (fn) => due.push(fn));
  await s.seed();
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec((await send(s.app, "GET", "/metrics")).text)?.[1]);
  const since = s.stateMachine.appliedIndex();
  const streams = [0, 1, 2].map(async () => (await s.app.handle(new Request(`http://localhost/v1/watch?since=${since}`))).body as ReadableStream<Uint8Array>);
  const readers = (await Promise.all(streams)).map((body) => body.getReader());
  const decoder = new TextDecoder();
  for (const r of readers) expect(decoder.decode((await r.read()).value)).toBe("retry: 1000\n\n");
  const feeds0 = await metric("yakt_watch_feeds_total");
  const writes0 = await metric("yakt_watch_event_writes_total");
  const offsets = [await s.createTopic("batch-a"), await s.createTopic("batch-b"), await s.createTopic("batch-c")];
  expect(due.length).toBe(1); // one feed scheduled for all three applies
  due.shift()?.();
  for (const r of readers) {
    const chunk = decoder.decode((await r.read()).value);
    expect([...chunk.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(offsets);
    expect(chunk.match(/^event: record$/gm)).toHaveLength(3);
  }
  expect(await metric("yakt_watch_feeds_total")).toBe(feeds0 + 1);
  expect(await metric("yakt_watch_event_writes_total")).toBe(writes0 + readers.length);
  for (const r of readers) void r.cancel();
});

test("a since older than the diff window or before the held log gets a snapshot first", async () => {
  const s = setup();
  await s.seed();
  s.clock.advance(601_000);
  await s.createTopic("later");
  const old = await s.watch("?since=1");
  expect((await old.next())?.event).toBe("snapshot");
  old.cancel();
  await s.handle.snapshotNow();
  const compacted = await s.watch("?since=1", {});
  expect((await compacted.next())?.event).toBe("snapshot");
  compacted.cancel();
});

test("a bad since or Last-Event-ID is a JSON 400 and opens no watcher", async () => {
  const s = setup();
  for (const [query, headers] of [["?since=abc", {}], ["", { "last-event-id": "yesterday" }]] as const) {
    const r = await send(s.app, "GET", `/v1/watch${query}`, undefined, headers);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "bad_request" });
    expect(r.body.message).toContain("since");
  }
  expect(s.watchers.size).toBe(0);
});

test("a watcher that does not read is cut with a slow_watcher event once its buffer bound is passed", async () => {
  const s = setup({ maxBufferBytes: 2_000 });
  await s.seed();
  const res = await s.app.handle(new Request("http://localhost/v1/watch?since=0"));
  // Each loop turn's applies are fed together, after the turn: one topic a turn.
  for (let i = 0; i < 20; i++) {
    await s.createTopic(`slow-${i}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitUntil("the slow watcher to be cut", () => s.watchers.size === 0, 5_000, 1);
  expect((await send(s.app, "GET", "/metrics")).text).toContain("yakt_watch_cut_total 1\n");
  const reader = new SseReader(res.body as ReadableStream<Uint8Array>);
  const events = await reader.until((e) => e.event === "cut");
  expect(events.at(-1)?.data).toMatchObject({ error: "slow_watcher" });
  expect(await reader.next()).toBeNull();
  // It resumes from the last id it got.
  const lastId = events.filter((e) => e.id !== null).at(-1)?.id as string;
  const resumed = await s.watch("", { "last-event-id": lastId });
  const rest = await resumed.until((e) => e.data.fields?.name === "slow-19");
  expect(rest[0].data.offset).toBe(Number(lastId) + 1);
  resumed.cancel();
});

test("heartbeats are comments; the watcher bound refuses one more with 503; closeAll ends every stream", async () => {
  const s = setup({ maxWatchers: 2, heartbeatMs: 20 });
  const a = await s.watch("?since=0");
  const b = await s.watch("?since=0");
  const third = await send(s.app, "GET", "/v1/watch");
  expect(third.status).toBe(503);
  expect(third.body.error).toBe("overloaded");
  await s.createTopic("beat");
  const seen = await a.until((e) => e.event === "record");
  expect(seen.at(-1)?.data.fields.name).toBe("beat");
  expect(await a.comment("heartbeat ")).toMatch(/^heartbeat \d{4}-\d\d-\d\dT/);
  s.watchers.closeAll();
  for (const r of [a, b]) {
    const last = await r.until((e) => e.event === "shutdown");
    expect(last.at(-1)?.data.error).toBe("shutting_down");
    expect(await r.next()).toBeNull();
  }
  expect((await send(s.app, "GET", "/v1/watch")).status).toBe(503);
});

test("the snapshot event is written from a frozen view in slices; records committed meanwhile follow it", async () => {
  const s = setup({ snapshotSliceRecords: 1 });
  await s.seed();
  for (const name of ["a", "b", "c"]) await s.createTopic(name);
  const body = s.stateMachine.image().body();
  const expected = { mode: "snapshot", offset: s.stateMachine.appliedIndex(), snapshot: body };
  const res = await s.app.handle(new Request("http://localhost/v1/watch"));
  const raw = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const decoder = new TextDecoder();
  // Read a few slices, committing a topic after each: the event must still show the image at its offset.
  const during: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { value } = await raw.read();
    text += decoder.decode(value);
    during.push(await s.createTopic(`during-${i}`));
  }
  // The rest of the snapshot event comes in slices; its end and the records held behind it come
  // as one chunk (one write), not one each.
  let withRecords: string | null = null;
  while (withRecords === null) {
    const { done, value } = await raw.read();
    if (done) break;
    const chunk = decoder.decode(value);
    text += chunk;
    if (chunk.includes("event: record")) withRecords = chunk;
  }
  expect(withRecords).toStartWith("\n\n");
  expect(withRecords?.match(/^event: record$/gm)).toHaveLength(during.length);
  const reader = new SseReader(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(text)), pull: async (c) => {
    const { done, value } = await raw.read();
    if (done) c.close();
    else c.enqueue(value);
  } }));
  const first = await reader.next();
  expect(first?.event).toBe("snapshot");
  expect(first?.data).toEqual(JSON.parse(JSON.stringify(expected)));
  expect(first?.id).toBe(String(expected.offset));
  for (const offset of during) expect(await reader.next()).toMatchObject({ event: "record", id: String(offset), data: { fields: { name: `during-${during.indexOf(offset)}` } } });
  reader.cancel();
});

test("a watch snapshot takes a slot of the stream bound until it is sent; a stalled one is ended", async () => {
  const h = makeHarness();
  await h.seed();
  const watchers = new WatchHub(h.service, h.handle, { snapshotSliceRecords: 1, snapshotStallMs: 20 });
  const app = createApp({ service: h.service, handle: h.handle, watchers, limits: { maxImageStreams: 1 }, now: () => h.clock.now(), log: () => {} });
  const stalled = await app.handle(new Request("http://localhost/v1/watch"));
  const refused = await send(app, "GET", "/v1/watch");
  expect(refused.status).toBe(503);
  expect(refused.body).toMatchObject({ error: "too_many_streams" });
  // Nobody reads the first watch: after snapshotStallMs it is cut and its slot is free again.
  const events = new SseReader(stalled.body as ReadableStream<Uint8Array>);
  await waitUntil("the stalled watch's slot to be free", async () => (await send(app, "GET", "/v1/client-mgmt/metadata")).status === 200, 5_000);
  // The stream ended inside the snapshot event: a client drops the partial event and reconnects.
  expect(await events.next()).toBeNull();
  expect(watchers.size).toBe(0);
});
