// What GET /v1/watch holds for clients that never read, over a real listening server and raw TCP
// sockets that send the request and then stop reading (paused: the kernel's buffers for each take
// a few MB first, as no client here can shrink its receive buffer, so the rounds are large): the
// bytes Bun took for a response count toward the watcher's bounds (it is handed one piece at a
// time, each once the last was written), so the node's count stays within the total bound; and a
// dropped watcher's connection is closed by the server at once,
// not when Bun's idle timeout (45 s) finds it. Before, Bun took each feed whole and kept its own
// copy of what a socket could not take, uncounted, and a dropped watcher's connection stayed open
// until the idle timeout: each check below failed (the count reached 371 MiB). The process's memory
// is measured by hand, not here (README, "Watch"); the close is waited for with a deadline far below
// the idle timeout.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import net from "node:net";
import { createApp, type YaktApp } from "../../src/api/app.ts";
import { IDLE_TIMEOUT_S, serveApi } from "../../src/api/serve.ts";
import { WatchHub, type WatchLimits } from "../../src/api/watch/watch-hub.ts";
import { HANDOFF_BYTES } from "../../src/api/watch/watcher.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const MIB = 1024 * 1024;
const LIMITS: Partial<WatchLimits> = { maxBufferBytes: 1 * MIB, maxTotalBufferBytes: 8 * MIB, drainMs: 1_000 };
/** Watchers whose clients never read. */
const STALLED = 60;
/** Rounds of CREATES topics of PARTITIONS partitions, created at once: one feed of ~6.4 MB each. */
const ROUNDS = 3;
const CREATES = 20;
const PARTITIONS = 1_000;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


/** The server-side TCP states (hex, as in /proc/net/tcp) of connections to `port`, by client port. */
function serverSides(port: number): Map<number, string> {
  const states = new Map<number, string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (local === undefined || remote === undefined || state === undefined) continue;
      if (Number.parseInt(local.split(":")[1], 16) !== port) continue;
      states.set(Number.parseInt(remote.split(":")[1], 16), state);
    }
  }
  return states;
}
const ESTABLISHED = "01";

async function serve(limits: Partial<WatchLimits> = LIMITS) {
  const h = makeHarness();
  await h.seed();
  const watchers = new WatchHub(h.service, h.handle, limits);
  const app: YaktApp = serveApi(createApp({ service: h.service, handle: h.handle, watchers, now: () => h.clock.now(), log: () => {} }), { hostname: "127.0.0.1", port: 0 });
  cleanups.push(() => app.stop(true));
  const port = app.server?.port;
  if (!port) throw new Error("the API did not report its port");
  return { h, app, watchers, port };
}

/** A raw client of GET /v1/watch; `read: false` stops reading after the first bytes (the status line). */
function watchSocket(port: number, since: number, read: boolean) {
  const client = { socket: net.connect(port, "127.0.0.1"), text: "", bytes: 0 };
  client.socket.on("connect", () => client.socket.write(`GET /v1/watch?since=${since} HTTP/1.1\r\nHost: x\r\n\r\n`));
  client.socket.on("data", (data: Buffer) => {
    client.bytes += data.length;
    if (!read) return void client.socket.pause();
    // Keep only the tail: the test looks for the last topic's name, not the whole stream.
    client.text = (client.text + data.toString("latin1")).slice(-64 * 1024);
  });
  client.socket.on("error", () => {});
  cleanups.push(() => client.socket.destroy());
  return client;
}

test("watchers that never read hold no more than the bounds, and a dropped watcher's connection is closed at once", async () => {
  const s = await serve();
  const reader = watchSocket(s.port, s.h.stateMachine.appliedIndex(), true);
  await waitUntil("the reader open", () => s.watchers.size === 1, 10_000);
  let peakUnsent = 0;
  const sample = () => {
    peakUnsent = Math.max(peakUnsent, s.watchers.metrics().yakt_watch_unsent_bytes);
  };
  /** ROUNDS rounds of big changes, the count sampled throughout. */
  const rounds = async (tag: string): Promise<void> => {
    const sampler = setInterval(sample, 5);
    try {
      for (let r = 0; r < ROUNDS; r++) {
        const created = await Promise.all(
          Array.from({ length: CREATES }, (_, i) => send(s.app, "POST", "/v1/topics", { name: `${tag}-${r}-${i}`, partitions: PARTITIONS, replicationFactor: 2 })),
        );
        expect(created.map((c) => c.status)).toEqual(Array(CREATES).fill(201));
        // The reading watcher keeps up: it has each round (a change committed after it) before
        // the next, and is never cut. That change also makes a feed that checks every bound.
        expect((await send(s.app, "POST", "/v1/topics", { name: `${tag}-after-${r}` })).status).toBe(201);
        await waitUntil(`the reader has round ${r}`, () => reader.text.includes(`"name":"${tag}-after-${r}"`), 20_000, 5);
        sample();
      }
    } finally {
      clearInterval(sampler);
    }
  };

  const since = s.h.stateMachine.appliedIndex();
  const stalled = Array.from({ length: STALLED }, () => watchSocket(s.port, since, false));
  await waitUntil("every watcher open", () => s.watchers.size === STALLED + 1, 10_000);
  await waitUntil("every stalled client has its response head", () => stalled.every((c) => c.bytes > 0), 10_000);
  const clientPorts = stalled.map((c) => c.socket.localPort as number);
  peakUnsent = 0;
  await rounds("stalled");
  await waitUntil("every stalled watcher cut", () => s.watchers.size === 1, 10_000, 5);
  const allCut = performance.now();

  console.log(`peak counted unsent ${(peakUnsent / MIB).toFixed(1)} MiB with ${STALLED} stalled watchers`);
  // (1) The node's count: the total bound, plus what one round's feed may add before the check
  // that follows it, plus a piece in Bun's hands per watcher.
  const feedBytes = 6.6 * MIB;
  const bound = (LIMITS.maxTotalBufferBytes as number) + feedBytes + (STALLED + 1) * HANDOFF_BYTES;
  expect(peakUnsent).toBeLessThanOrEqual(bound);

  // (2) Each cut watcher is dropped within drainMs of its cut (or sooner, when the node is over
  // its total), and the server closes its connection then: well before the idle timeout.
  const closeWithinMs = (LIMITS.drainMs as number) + 2_000;
  expect(closeWithinMs).toBeLessThan((IDLE_TIMEOUT_S * 1000) / 4);
  await waitUntil(
    "the server to close every stalled connection",
    () => {
      const sides = serverSides(s.port);
      return clientPorts.every((p) => sides.get(p) !== ESTABLISHED);
    },
    closeWithinMs,
    20,
  );
  console.log(`stalled connections closed ${(performance.now() - allCut).toFixed(0)} ms after the last cut`);
  // The reader was served throughout; once it goes too, nothing is held.
  expect(reader.text).not.toContain("event: cut");
  reader.socket.destroy();
  await waitUntil("nothing held", () => s.watchers.size === 0 && s.watchers.metrics().yakt_watch_unsent_bytes === 0, 5_000, 5);
}, 60_000);

test("a watcher cut by its own bound and left unread is dropped after drainMs, its connection closed then", async () => {
  const drainMs = 500;
  const s = await serve({ maxBufferBytes: 1 * MIB, maxTotalBufferBytes: 64 * MIB, drainMs });
  const client = watchSocket(s.port, s.h.stateMachine.appliedIndex(), false);
  await waitUntil("the stalled client has its response head", () => client.bytes > 0, 10_000);
  const clientPort = client.socket.localPort as number;
  // More than the socket's buffers and the watcher's bound, a feed at a time: it is cut at a feed.
  for (let r = 0; r < 6 && s.watchers.size > 0; r++) {
    const feeds = s.watchers.metrics().yakt_watch_feeds_total;
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => send(s.app, "POST", "/v1/topics", { name: `own-${r}-${i}`, partitions: PARTITIONS })));
    expect(created.map((c) => c.status)).toEqual(Array(10).fill(201));
    await waitUntil(`round ${r} fed`, () => s.watchers.metrics().yakt_watch_feeds_total > feeds, 5_000, 1);
  }
  await waitUntil("the stalled watcher cut", () => s.watchers.size === 0, 10_000, 5);
  const cut = performance.now();
  expect(serverSides(s.port).get(clientPort)).toBe(ESTABLISHED); // its bytes wait drainMs to be read
  await waitUntil("the server to close the connection", () => serverSides(s.port).get(clientPort) !== ESTABLISHED, drainMs + 2_000, 20);
  console.log(`closed ${(performance.now() - cut).toFixed(0)} ms after the cut (drainMs ${drainMs})`);
  expect(s.watchers.metrics().yakt_watch_unsent_bytes).toBe(0);
}, 30_000);

// The reader stopped mid-event in the test above: a turn after a big feed, every watcher at one
// offset held the same unsent bytes (Bun is handed them a chunk at a time, as the client reads), so
// the total bound's "furthest behind" was a tie won by the first watcher opened, the reader, and
// cutting stalled watchers that share those bytes freed only their in-flight chunks. Now only a
// watcher that left unread what waited at the previous check, and wrote nothing since, is cut.
// Feeds and the checks a turn after them run when the test says; each stream's reads stand for
// Bun asking for the next chunk once it wrote the last.
test("the total bound cuts the stalled watchers, never one that reads, even right after a feed it has not written yet", async () => {
  const h = makeHarness();
  await h.seed();
  const due: (() => void)[] = [];
  const run = () => {
    while (due.length > 0) due.shift()?.();
  };
  const hub = new WatchHub(h.service, h.handle, { maxBufferBytes: 64 * 1024, maxTotalBufferBytes: 64 * 1024 }, (fn) => due.push(fn));
  const since = String(h.stateMachine.appliedIndex());
  const decoder = new TextDecoder();
  // The reader first: the old tie went to the first watcher opened.
  const reading = hub.open(since);
  const reader = reading.stream.getReader();
  const stalled = [hub.open(since), hub.open(since), hub.open(since)].map((w) => w.stream.getReader());
  expect(hub.size).toBe(4);
  for (const r of [reader, ...stalled]) expect(decoder.decode((await r.read()).value)).toBe("retry: 1000\n\n");
  // Each consumer waits for more: the first piece of the next feed is handed to it (Bun writing it).
  const readerNext = reader.read();
  for (const r of stalled) void r.read();

  const create = async (name: string) => expect((await send(h.app, "POST", "/v1/topics", { name, partitions: 400 })).status).toBe(201);
  await create("big-0"); // some 130 KB of events: over the total bound, shared by all four
  expect(due.length).toBe(1);
  due.shift()?.(); // the feed: the check before it, the bytes queued, the check a turn later scheduled
  expect(hub.metrics().yakt_watch_unsent_bytes).toBeGreaterThan(64 * 1024);
  run(); // the check a turn later, before the reader could read past its first piece
  expect(hub.metrics().yakt_watch_cut_total).toBe(0); // fresh bytes are no stall, the reader's or theirs
  expect(hub.size).toBe(4);

  // The reader reads the whole feed (its last piece is written once it asks for more); the stalled ones do not.
  let text = decoder.decode((await readerNext).value);
  let next = reader.read();
  while (reading.unsent() > 0) {
    text += decoder.decode((await next).value);
    next = reader.read();
  }
  expect(text).toContain('"name":"big-0"');
  await create("small-1");
  run(); // the next feed's check: what waited at the last one is still unread by the stalled three
  expect(hub.metrics().yakt_watch_cut_total).toBe(3);
  expect(hub.size).toBe(1);
  text = decoder.decode((await next).value);
  while (!text.includes('"name":"small-1"')) text += decoder.decode((await reader.read()).value);
  expect(text).not.toContain("event: cut");
  await reader.cancel();
});
