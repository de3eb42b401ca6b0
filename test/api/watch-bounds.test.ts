// The node-wide bounds of GET /v1/watch, each shown by injecting watchers that never read: the
// total of unsent bytes over all watchers (the furthest behind are cut, then dropped), the drain
// time of a cut watcher's unread bytes, and that a watcher that reads meanwhile gets every record
// and new watchers are still served.
import { expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { WatchHub, type WatchLimits } from "../../src/api/watch/watch-hub.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";
import { SseReader } from "./support/sse-reader.ts";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function setup(limits: Partial<WatchLimits>) {
  const h = makeHarness();
  await h.seed();
  const watchers = new WatchHub(h.service, h.handle, limits);
  const app = createApp({ service: h.service, handle: h.handle, watchers, now: () => h.clock.now(), log: () => {} });
  const since = h.stateMachine.appliedIndex();
  /** A watcher whose body nobody reads. */
  const stalled = () => app.handle(new Request(`http://localhost/v1/watch?since=${since}`));
  /** A watcher that reads everything as it comes, into `text`. */
  const reading = async () => {
    const res = await app.handle(new Request(`http://localhost/v1/watch?since=${since}`));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const got = { text: "", ended: false };
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) break;
        got.text += decoder.decode(value);
      }
      got.ended = true;
    })();
    return { got, cancel: () => reader.cancel() };
  };
  /** Topics created one per loop turn, so each is a feed of its own. */
  const createTopics = async (prefix: string, n: number) => {
    for (let i = 0; i < n; i++) {
      expect((await send(app, "POST", "/v1/topics", { name: `${prefix}-${i}` })).status).toBe(201);
      await turn();
    }
  };
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec((await send(app, "GET", "/metrics")).text)?.[1]);
  return { h, app, watchers, stalled, reading, createTopics, metric };
}

test("past the total bound the watchers furthest behind are cut and dropped; a reading watcher gets every record", async () => {
  const bound = 6_000;
  const s = await setup({ maxBufferBytes: 4_000, maxTotalBufferBytes: bound, drainMs: 60_000 });
  const stalled = await Promise.all([s.stalled(), s.stalled(), s.stalled()]);
  const reader = await s.reading();
  expect(s.watchers.size).toBe(4);
  await s.createTopics("total", 30);
  // The stalled watchers queue the same bytes, counted once toward the total (HeldBytes), so each
  // passes its own bound (4,000) before together they pass the total (6,000): their own bound cuts
  // them, at the feed after. (The total's cut, of stalled watchers only and never of a reader, is
  // pinned in test/api/watch-memory.test.ts.)
  await waitUntil("the stalled watchers cut", () => s.watchers.size === 1, 5_000, 1);
  expect(await s.metric("yakt_watch_cut_total")).toBe(3);
  // Cut watchers' unread bytes are dropped by later feeds still over the bound, well before drainMs.
  await s.createTopics("after", 3);
  await waitUntil("the unsent bytes back within the bound", async () => (await s.metric("yakt_watch_unsent_bytes")) <= bound, 5_000, 1);
  for (let i = 0; i < 30; i++) expect(reader.got.text).toContain(`"name":"total-${i}"`);
  await waitUntil("the reader has the last topic", () => reader.got.text.includes('"name":"after-2"'), 5_000, 1);
  expect(reader.got.ended).toBe(false);
  // The stalled streams were cut: a client that reads late gets the cut event or a dropped connection.
  for (const res of stalled) {
    const text = await new Response(res.body).text().catch(() => "dropped");
    expect(text === "dropped" || text.includes('"error":"slow_watcher"')).toBe(true);
  }
  // The node still serves new watchers.
  const late = await s.reading();
  await s.createTopics("late", 1);
  await waitUntil("a new watcher gets a new record", () => late.got.text.includes('"name":"late-0"'), 5_000, 1);
  await reader.cancel();
  await late.cancel();
});

test("a cut watcher's unread bytes are dropped after drainMs, its connection with them", async () => {
  const s = await setup({ maxBufferBytes: 2_000, drainMs: 30 });
  const stalled = await s.stalled();
  await s.createTopics("drain", 20);
  await waitUntil("the stalled watcher cut", () => s.watchers.size === 0, 5_000, 1);
  await waitUntil("its bytes dropped", async () => (await s.metric("yakt_watch_unsent_bytes")) === 0, 5_000, 5);
  // Dropped, not ended: the client sees a broken stream and resumes with Last-Event-ID.
  const read = await new SseReader(stalled.body as ReadableStream<Uint8Array>).next().then(
    (event) => event?.event ?? "ended",
    () => "dropped",
  );
  expect(["dropped", "ended"]).toContain(read);
});

test("a total bound below one watcher's bound is refused", () => {
  const h = makeHarness();
  expect(() => new WatchHub(h.service, h.handle, { maxBufferBytes: 2_000, maxTotalBufferBytes: 1_000 })).toThrow("maxTotalBufferBytes");
  expect(() => new WatchHub(h.service, h.handle, { drainMs: 0 })).toThrow("drainMs");
});
