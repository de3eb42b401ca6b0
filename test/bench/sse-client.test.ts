// The raw SSE reader of the watching fleet (scripts/bench/sse-client.ts) against small servers: an
// event larger than a chunk arrives whole, with its type and id; events whose bytes (chunk-size
// lines, chunk ends, event lines) are cut anywhere by the reads arrive whole and in order; a
// refused stream ends with its status and Retry-After; close() ends a stream once, with its reason.
import { afterAll, expect, test } from "bun:test";
import { SseStream } from "../../scripts/bench/sse-client.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { waitUntil } from "../node/support/wait-until.ts";

const big = "x".repeat(200_000);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    if (new URL(request.url).pathname === "/refused") {
      return Response.json({ error: "overloaded", message: "test" }, { status: 503, headers: { "retry-after": "2" } });
    }
    const encoder = new TextEncoder();
    const text = `retry: 1000\n\nevent: snapshot\nid: 7\ndata: {"big":"${big}"}\n\nevent: shutdown\ndata: {"error":"shutting_down"}\n\n`;
    // Written in 1,000-byte chunks: the snapshot event spans hundreds of them.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < text.length; at += 1_000) c.enqueue(encoder.encode(text.slice(at, at + 1_000)));
        c.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => server.stop(true));

function open(path: string) {
  const events: { type: string; id: number; data: string | null }[] = [];
  const ends: { reason: string; retryAfterMs: number | null }[] = [];
  const stream = new SseStream("127.0.0.1", server.port as number, {
    event: (type, id, data) => events.push({ type, id, data }),
    end: (reason, retryAfterMs) => ends.push({ reason, retryAfterMs }),
  }, () => 0);
  return { stream, events, ends, opened: stream.open(path, null) };
}

test("an event spanning many chunks arrives whole; the stream's end is reported once", async () => {
  const s = open("/watch");
  await s.opened;
  await waitUntil("the stream ended", () => s.ends.length > 0, 10_000, 5);
  expect(s.events).toEqual([
    { type: "snapshot", id: 7, data: null },
    { type: "shutdown", id: -1, data: '{"error":"shutting_down"}' },
  ]);
  expect(s.ends).toEqual([{ reason: "the server ended the stream", retryAfterMs: null }]);
  s.stream.close("again");
  expect(s.ends).toHaveLength(1);
});

test("a refused stream ends with its status, body and Retry-After", async () => {
  const s = open("/refused");
  await s.opened;
  await waitUntil("the stream ended", () => s.ends.length > 0, 10_000, 5);
  expect(s.events).toEqual([]);
  expect(s.ends[0].reason).toStartWith('503 {"error":"overloaded"');
  expect(s.ends[0].retryAfterMs).toBe(2_000);
});

/** The bytes of a chunked event stream: each element of `writes` one chunk, as the watch route writes them. */
function chunkedStream(writes: string[]): Buffer {
  const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  const chunks = writes.map((w) => `${Buffer.byteLength(w).toString(16).toUpperCase()}\r\n${w}\r\n`);
  return Buffer.from(`${head}${chunks.join("")}0\r\n\r\n`);
}

test("events arrive whole and in order however the reads cut the bytes (seeded cuts)", async () => {
  const records = (from: number, n: number) => Array.from({ length: n }, (_, i) => `event: record\nid: ${from + i}\ndata: {"offset":${from + i},"name":"r\u00e9cord ${"x".repeat((from + i) % 50)}"}\n\n`).join("");
  // One chunk per feed, some holding several events; a heartbeat comment, a retry field and an event of another type between them.
  const writes = ["retry: 1000\n\n", `event: snapshot\nid: 3\ndata: {"brokers":[]}\n\n`, records(4, 1), records(5, 3), ": heartbeat 2026\n\n", records(8, 2), 'event: cut\ndata: {"error":"slow_watcher","message":"caf\u00e9"}\n\n'];
  const bytes = chunkedStream(writes);
  const expected = [
    { type: "snapshot", id: 3, data: null },
    ...[4, 5, 6, 7, 8, 9].map((id) => ({ type: "record", id, data: null })),
    { type: "cut", id: -1, data: '{"error":"slow_watcher","message":"caf\u00e9"}' },
  ];
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seededRandom(seed);
    // Cut points: every piece 1–40 bytes, so every kind of line and framing is cut somewhere.
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * 40);
      pieces.push(bytes.subarray(at, at + size));
      at += size;
    }
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        async data(socket) {
          for (const piece of pieces) {
            socket.write(piece);
            socket.flush();
            await Bun.sleep(1);
          }
        },
      },
    });
    try {
      const events: { type: string; id: number; data: string | null }[] = [];
      const ends: string[] = [];
      const stream = new SseStream("127.0.0.1", listener.port, {
        event: (type, id, data) => events.push({ type, id, data }),
        end: (reason) => ends.push(reason),
      }, () => 0);
      await stream.open("/v1/watch", null);
      await waitUntil(`seed ${seed}: the stream ended`, () => ends.length > 0, 20_000, 5);
      expect({ seed, events, ends }).toEqual({ seed, events: expected, ends: ["the server ended the stream"] });
    } finally {
      listener.stop(true);
    }
  }
});

test("a malformed chunk size or id ends the stream, saying what was wrong", async () => {
  for (const [bytes, why] of [
    [Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n"), "a malformed stream: a chunk size of"],
    [chunkedStream(["event: record\nid: 1x\ndata: {}\n\n"]), 'a malformed stream: an id of "1x"'],
  ] as const) {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket) => void socket.write(bytes) } });
    try {
      const ends: string[] = [];
      const stream = new SseStream("127.0.0.1", listener.port, { event: () => {}, end: (reason) => ends.push(reason) }, () => 0);
      await stream.open("/v1/watch", null);
      await waitUntil("the stream ended", () => ends.length > 0, 10_000, 5);
      expect(ends[0]).toStartWith(why);
    } finally {
      listener.stop(true);
    }
  }
});
