// What a streamed full image holds in memory: a reader that reads slowly, or stops, gets at most
// one pull's bytes written ahead of what it read (back-pressure that waits for the reader, never a
// buffered image), and the young garbage the streams make is collected as they write
// (young-garbage.ts: a collection per so many bytes, spaced out after slow ones, never a reason to
// cut a stream). Bytes counted, never time.
import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { answerResponse } from "../../src/api/answer-response.ts";
import { type ApiLimits, resolveLimits } from "../../src/api/limits.ts";
import { StreamGate } from "../../src/api/stream-gate.ts";
import { YoungGarbage } from "../../src/api/young-garbage.ts";
import { COLLECT_PAUSE_MS, MAX_SPACING_FACTOR } from "../../src/node/young-collections.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Three brokers and `topics` topics of 10 partitions: ~3 KB of JSON a topic. */
async function filledHarness(topics: number, limits: Partial<ApiLimits> = {}) {
  const h = makeHarness({ limits });
  for (const id of [1, 2, 3]) {
    const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` };
    expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
  }
  for (let t = 0; t < topics; t++) expect((await send(h.app, "POST", "/v1/topics", { name: `topic-${t}`, partitions: 10, replicationFactor: 2 })).status).toBe(201);
  return h;
}

/** The ClientMgmt document the routes built whole before streaming. */
function wholeDocument(h: Awaited<ReturnType<typeof filledHarness>>): string {
  return JSON.stringify({ mode: "snapshot", offset: h.stateMachine.appliedIndex(), snapshot: { ...h.stateMachine.image().body(), producers: [] } });
}

async function readAll(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) if (next.value !== undefined) parts.push(next.value);
  return parts;
}

/** A streamed ClientMgmt snapshot of `h`'s image, its gate's collector counting collections. */
async function streamedAnswer(h: Awaited<ReturnType<typeof filledHarness>>, limits: Partial<ApiLimits>, everyBytes: number, encoding = "identity") {
  let collections = 0;
  const garbage = new YoungGarbage({ collect: () => collections++, everyBytes });
  const deps = { limits: resolveLimits({ sharedAnswerMaxRecords: 1, ...limits }), streams: new StreamGate(1, garbage) };
  const answer = await h.service.clientMetadata({});
  expect(answer.mode).toBe("snapshot");
  const response = await answerResponse(deps, answer, new Request("http://localhost/v1/client-mgmt/metadata", { headers: { "accept-encoding": encoding } }));
  expect(response.headers.get("content-encoding")).toBe(encoding === "identity" ? null : encoding);
  const written = () => garbage.metrics().yakt_image_stream_bytes_total;
  return { reader: (response.body as ReadableStream<Uint8Array>).getReader(), written, collections: () => collections, gate: deps.streams };
}

describe("a streamed image's bytes ahead of its reader", () => {
  const chunkBytes = 4 * 1024;
  const sliceRecords = 4;
  /** One pull writes until it has chunkBytes, so it ends at most one slice (4 records, < 2 KB) past them. */
  const aheadBound = chunkBytes + 2 * 1024;

  test("a reader that stops gets no more than one pull written ahead, however often the loop turns", async () => {
    const h = await filledHarness(40);
    const s = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, 1 << 30);
    const first = await s.reader.read();
    expect(first.done).toBe(false);
    const read = first.value?.length ?? 0;
    for (let i = 0; i < 200; i++) await turn();
    const ahead = s.written() - read;
    expect(ahead).toBeGreaterThanOrEqual(0);
    expect(ahead).toBeLessThanOrEqual(aheadBound);
    // A stalled stream holds its slot (and its view) until it is read or cancelled.
    expect(s.gate.active).toBe(1);
    await s.reader.cancel();
    expect(s.gate.active).toBe(0);
  });

  test("a slow reader, turns of the loop between each read, never has more than one pull written ahead; read whole it is the document", async () => {
    const h = await filledHarness(40);
    const s = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, 1 << 30);
    const parts: Uint8Array[] = [];
    let read = 0;
    let mostAhead = 0;
    for (;;) {
      for (let i = 0; i < 20; i++) await turn();
      mostAhead = Math.max(mostAhead, s.written() - read);
      const next = await s.reader.read();
      if (next.done) break;
      parts.push(next.value);
      read += next.value.length;
    }
    expect(read).toBeGreaterThan(20 * chunkBytes); // long enough for the bound to mean something
    expect(mostAhead).toBeLessThanOrEqual(aheadBound);
    expect(s.written()).toBe(read);
    const whole = wholeDocument(h);
    expect(Buffer.concat(parts).toString()).toBe(whole);
  });

  test("zstd: the first chunk is a frame of its own holding the head, so it goes out before the compressor fills; read whole it is the document", async () => {
    const h = await filledHarness(40);
    const whole = wholeDocument(h);
    const s = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, 1 << 30, "zstd");
    const parts = await readAll(s.reader);
    const first = new TextDecoder().decode(Bun.zstdDecompressSync(parts[0]));
    expect(first.startsWith(`{"mode":"snapshot","offset":${h.stateMachine.appliedIndex()},"snapshot":{"brokers":[`)).toBe(true);
    expect(whole.startsWith(first)).toBe(true);
    expect(first.length).toBeLessThanOrEqual(aheadBound); // the first slice, not what the compressor gathered
    const bytes = Buffer.concat(parts);
    expect(new TextDecoder().decode(Bun.zstdDecompressSync(bytes))).toBe(whole);
    expect(bytes.length).toBeLessThan(whole.length / 4);
    expect(s.gate.active).toBe(0);
  });

  test("gzip streams as one member; a cancelled compressed stream frees its slot", async () => {
    const h = await filledHarness(40);
    const whole = wholeDocument(h);
    const s = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, 1 << 30, "gzip");
    const parts = await readAll(s.reader);
    const bytes = Buffer.concat(parts);
    expect(gunzipSync(bytes).toString()).toBe(whole);
    // One member: after its trailer (CRC and length of the whole), nothing more.
    expect(bytes.readUInt32LE(bytes.length - 4)).toBe(Buffer.byteLength(whole));
    for (const encoding of ["gzip", "zstd"]) {
      const cancelled = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, 1 << 30, encoding);
      await cancelled.reader.read();
      expect(cancelled.gate.active).toBe(1);
      await cancelled.reader.cancel();
      await waitUntil("the cancelled stream's slot to be free", () => cancelled.gate.active === 0, 5_000);
    }
  });

  test("the young generation is collected once per everyBytes written, between pulls", async () => {
    const h = await filledHarness(40);
    const everyBytes = 16 * 1024;
    const s = await streamedAnswer(h, { streamChunkBytes: chunkBytes, streamSliceRecords: sliceRecords }, everyBytes);
    let read = 0;
    for (let next = await s.reader.read(); !next.done; next = await s.reader.read()) read += next.value.length;
    // A collection comes at the first pull after everyBytes more were written: at most a pull late.
    expect(s.collections()).toBeLessThanOrEqual(Math.floor(read / everyBytes));
    expect(s.collections()).toBeGreaterThanOrEqual(Math.floor(read / (everyBytes + aheadBound)) - 1);
    expect(s.collections()).toBeGreaterThan(0);
  });
});

describe("YoungGarbage", () => {
  /** A collector whose collections take `ms()` on a clock it moves itself. */
  function timed(ms: () => number, everyBytes = 100) {
    let now = 0;
    let count = 0;
    const garbage = new YoungGarbage({
      collect: () => {
        count++;
        now += ms();
      },
      everyBytes,
      now: () => now,
    });
    return { garbage, count: () => count };
  }

  test("collects only when due, once per everyBytes written since the last collection", () => {
    const { garbage, count } = timed(() => 1);
    garbage.wrote(60);
    garbage.collectIfDue();
    expect(count()).toBe(0);
    garbage.wrote(40);
    garbage.collectIfDue();
    garbage.collectIfDue();
    expect(count()).toBe(1);
    garbage.wrote(250);
    garbage.collectIfDue();
    expect(count()).toBe(2); // bytes past the spacing do not make collections owed
    expect(garbage.metrics()).toMatchObject({ yakt_image_stream_bytes_total: 350, yakt_image_stream_young_collections_total: 2, yakt_image_stream_young_collect_ms_total: 2, yakt_image_stream_young_collect_longest_ms: 1 });
  });

  test("a collection slower than COLLECT_PAUSE_MS doubles the spacing (bounded), a quick one halves it back to the base", () => {
    let ms = COLLECT_PAUSE_MS + 1;
    const { garbage } = timed(() => ms);
    const collectNow = () => {
      garbage.wrote(garbage.spacingBytes);
      garbage.collectIfDue();
    };
    collectNow();
    expect(garbage.spacingBytes).toBe(200);
    collectNow();
    expect(garbage.spacingBytes).toBe(400);
    for (let i = 0; i < 20; i++) collectNow();
    expect(garbage.spacingBytes).toBe(100 * MAX_SPACING_FACTOR); // bounded
    ms = 1;
    collectNow();
    expect(garbage.spacingBytes).toBe((100 * MAX_SPACING_FACTOR) / 2);
    for (let i = 0; i < 20; i++) collectNow();
    expect(garbage.spacingBytes).toBe(100);
  });

  test("a collection that throws is counted and the writing goes on", () => {
    const garbage = new YoungGarbage({
      collect: () => {
        throw new Error("no collector here");
      },
      everyBytes: 10,
    });
    garbage.wrote(10);
    garbage.collectIfDue();
    garbage.wrote(10);
    garbage.collectIfDue();
    expect(garbage.metrics()).toMatchObject({ yakt_image_stream_young_collections_total: 2, yakt_image_stream_young_collect_failures_total: 2 });
  });

  test("bad input is refused", () => {
    expect(() => new YoungGarbage({ everyBytes: 0 })).toThrow("positive byte spacing");
    expect(() => new YoungGarbage().wrote(-1)).toThrow("wrote -1 bytes");
  });
});

test("/metrics counts the bytes every stream wrote and the young collections", async () => {
  const h = await filledHarness(3, { sharedAnswerMaxRecords: 1 });
  const lengths: number[] = [];
  for (const accept of ["application/json", "application/x-ndjson"]) {
    const res = await h.app.handle(new Request("http://localhost/v1/client-mgmt/metadata", { headers: { accept } }));
    lengths.push(Buffer.byteLength(await res.text()));
  }
  const metrics = (await send(h.app, "GET", "/metrics")).text;
  expect(metrics).toContain(`\nyakt_image_stream_bytes_total ${lengths[0] + lengths[1]}\n`);
  expect(metrics).toContain("\nyakt_image_stream_young_collections_total 0\n"); // a few KB: none due
  expect(metrics).toContain("\nyakt_image_stream_young_collect_failures_total 0\n");
});
