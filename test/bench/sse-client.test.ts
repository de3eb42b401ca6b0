// The raw SSE reader of the watching fleet (scripts/bench/sse-client.ts) against small servers: an
// event larger than a chunk arrives whole, with its type and id; a refused stream ends with its
// status and Retry-After; close() ends a stream once, with its reason.
import { afterAll, expect, test } from "bun:test";
import { SseStream } from "../../scripts/bench/sse-client.ts";
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
