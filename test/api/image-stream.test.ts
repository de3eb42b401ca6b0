// The full metadata image over HTTP (through app.handle): streamed from a frozen view as the same
// JSON document the routes built whole before, NDJSON on request, gzip or zstd when accepted,
// writes committing while a stream is read, the bound on streams at once and on a stream's life,
// and the paged form with its cursors (consistent across writes, 410 once the view is gone).
import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const brokerBody = (id: number) => ({ brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 3}` });

/** Three brokers, `topics` topics of `partitions` partitions each, a producer. */
async function filled(h: Harness, topics: number, partitions: number): Promise<void> {
  for (const id of [1, 2, 3]) expect((await send(h.app, "POST", "/v1/brokers", brokerBody(id))).status).toBe(201);
  for (let t = 0; t < topics; t++) {
    const created = await send(h.app, "POST", "/v1/topics", { name: `topic-${String(t).padStart(3, "0")}`, partitions, replicationFactor: 2 });
    expect(created.status).toBe(201);
  }
  expect((await send(h.app, "POST", "/v1/producers", { brokerId: 1 })).status).toBe(201);
}

/** The answer the routes built whole before streaming, from the live image. */
function wholeDocument(h: Harness, audience: "broker" | "client", prefix: Record<string, string> = {}): string {
  const body = h.stateMachine.image().body();
  const snapshot = audience === "client" ? { ...body, producers: [] } : body;
  return JSON.stringify({ ...prefix, mode: "snapshot", offset: h.stateMachine.appliedIndex(), snapshot });
}

function get(h: Harness, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return h.app.handle(new Request(`http://localhost${path}`, { headers }));
}

function post(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return h.app.handle(new Request(`http://localhost${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }));
}

describe("streamed full image", () => {
  test("ClientMgmt and BrokerMgmt answer byte-for-byte the document built whole, in more than one chunk", async () => {
    const h = makeHarness({ limits: { streamChunkBytes: 1, streamSliceRecords: 7, sharedAnswerMaxRecords: 1 } });
    await filled(h, 12, 5);
    const client = await get(h, "/v1/client-mgmt/metadata");
    expect(client.status).toBe(200);
    expect(client.headers.get("content-type")).toBe("application/json;charset=utf-8");
    expect(client.headers.get("x-metadata-offset")).toBe(String(h.stateMachine.appliedIndex()));
    let chunks = 0;
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of client.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    expect(chunks).toBeGreaterThan(5);
    expect(text).toBe(wholeDocument(h, "client"));
    // BrokerMgmt heartbeats (a commit) first; the document is the image after it, producers included.
    const broker = await (await post(h, "/v1/broker-mgmt/metadata", { brokerId: 1 })).text();
    expect(broker).toBe(wholeDocument(h, "broker"));
    expect(JSON.parse(broker).snapshot.producers).toHaveLength(1);
  });

  test("the seed routes stream the same document with their message first", async () => {
    const h = makeHarness({ limits: { streamChunkBytes: 1, streamSliceRecords: 3 } });
    await filled(h, 4, 3);
    expect(await (await get(h, "/ClientMgmt")).text()).toBe(wholeDocument(h, "client", { message: "client metadata (snapshot)" }));
    expect(await (await get(h, "/BrokerMgmt")).text()).toBe(wholeDocument(h, "broker", { message: "cluster metadata (snapshot)" }));
  });

  test("Accept: application/x-ndjson gives a first line with mode and offset, then one line per record", async () => {
    const h = makeHarness({ limits: { streamChunkBytes: 1, streamSliceRecords: 4 } });
    await filled(h, 5, 4);
    const response = await get(h, "/v1/client-mgmt/metadata", { accept: "application/x-ndjson" });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson;charset=utf-8");
    const lines = (await response.text()).split("\n");
    expect(lines.pop()).toBe("");
    const { offset, snapshot } = JSON.parse(wholeDocument(h, "client"));
    expect(JSON.parse(lines[0])).toEqual({ mode: "snapshot", offset });
    expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual([...snapshot.brokers, ...snapshot.topics, ...snapshot.partitions]);
    // A diff in NDJSON: the head line, then its records.
    expect((await send(h.app, "POST", "/v1/topics", { name: "later" })).status).toBe(201);
    const diff = (await (await get(h, `/v1/client-mgmt/metadata?since=${offset}`, { accept: "application/x-ndjson" })).text()).split("\n");
    expect(JSON.parse(diff[0])).toEqual({ mode: "diff", offset: offset + 1 });
    expect(JSON.parse(diff[1])).toMatchObject({ name: "TopicRecord", offset: offset + 1, fields: { name: "later" } });
    expect(diff.slice(2)).toEqual([""]);
  });

  test("gzip and zstd when accepted (the higher q wins, zstd on a tie); identity otherwise", async () => {
    const h = makeHarness({ limits: { streamChunkBytes: 1, streamSliceRecords: 5 } });
    await filled(h, 6, 4);
    const plain = wholeDocument(h, "client");
    const gz = await get(h, "/v1/client-mgmt/metadata", { "accept-encoding": "gzip, deflate" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    const gzBytes = new Uint8Array(await gz.arrayBuffer());
    expect(gunzipSync(gzBytes).toString()).toBe(plain);
    expect(gzBytes.length).toBeLessThan(plain.length);
    const zstd = await get(h, "/v1/client-mgmt/metadata", { "accept-encoding": "gzip, zstd" });
    expect(zstd.headers.get("content-encoding")).toBe("zstd");
    expect(new TextDecoder().decode(Bun.zstdDecompressSync(new Uint8Array(await zstd.arrayBuffer())))).toBe(plain);
    expect((await get(h, "/v1/client-mgmt/metadata", { "accept-encoding": "zstd;q=0.5, gzip" })).headers.get("content-encoding")).toBe("gzip");
    const none = await get(h, "/v1/client-mgmt/metadata", { "accept-encoding": "br, gzip;q=0" });
    expect(none.headers.get("content-encoding")).toBeNull();
    expect(await none.text()).toBe(plain);
  });

  test("writes commit while a large image is read, and the stream shows the image as of its offset", async () => {
    const h = makeHarness({ limits: { streamChunkBytes: 1, streamSliceRecords: 10, sharedAnswerMaxRecords: 1 } });
    await filled(h, 20, 10);
    const expected = wholeDocument(h, "client");
    const response = await get(h, "/v1/client-mgmt/metadata");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    let writes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (writes < 5) {
        // Each write commits between two slices of the open stream.
        const created = await send(h.app, "POST", "/v1/topics", { name: `during-${writes++}`, partitions: 2, replicationFactor: 1 });
        expect(created.status).toBe(201);
      }
    }
    expect(writes).toBe(5);
    expect(text).toBe(expected);
    expect(h.stateMachine.image().topicByName("during-4")).toBeDefined();
    expect(JSON.parse(text).offset).toBeLessThan(h.stateMachine.appliedIndex());
  });
});

describe("bounds on streams", () => {
  test("past maxImageStreams a snapshot is a 503 too_many_streams with Retry-After; a cancelled stream frees its slot; diffs are not counted", async () => {
    const h = makeHarness({ limits: { maxImageStreams: 1, streamChunkBytes: 1, streamSliceRecords: 2, sharedAnswerMaxRecords: 1 } });
    await filled(h, 3, 3);
    const first = await get(h, "/v1/client-mgmt/metadata", { "accept-encoding": "gzip" });
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const refused = await send(h.app, "GET", "/v1/client-mgmt/metadata");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body).toMatchObject({ error: "too_many_streams" });
    expect(refused.body.message).toContain("1 full metadata images");
    const metrics = (await send(h.app, "GET", "/metrics")).text;
    expect(metrics).toContain("\nyakt_image_streams 1\n");
    expect(metrics).toContain("\nyakt_image_streams_refused_total 1\n");
    const diff = await send(h.app, "GET", `/v1/client-mgmt/metadata?since=${h.stateMachine.appliedIndex() - 1}`);
    expect(diff.status).toBe(200);
    await reader.cancel();
    expect(await (await get(h, "/v1/client-mgmt/metadata")).text()).toBe(wholeDocument(h, "client"));
  });

  test("a stream not read within imageStreamMaxMs is cut, and its slot is free again", async () => {
    const h = makeHarness({ limits: { maxImageStreams: 1, imageStreamMaxMs: 20, streamChunkBytes: 1, streamSliceRecords: 1, sharedAnswerMaxRecords: 1 } });
    await filled(h, 3, 3);
    const stalled = await get(h, "/v1/client-mgmt/metadata");
    const reader = (stalled.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await waitUntil("the stalled stream's slot to be free", async () => (await send(h.app, "GET", "/v1/client-mgmt/metadata")).status === 200, 5_000);
    let error: unknown = null;
    try {
      while (!(await reader.read()).done) {}
    } catch (e) {
      error = e;
    }
    expect(String(error)).toContain("was not read to its end within 20 ms and was cut");
  });
});

describe("paged full image", () => {
  async function allPages(h: Harness, first: string, limit: number, between?: (page: number) => Promise<void>) {
    const pages: any[] = [];
    let answer = await send(h.app, "GET", `${first}${first.includes("?") ? "&" : "?"}limit=${limit}`);
    for (;;) {
      expect(answer.status).toBe(200);
      pages.push(answer.body);
      if (answer.body.next === null) return pages;
      await between?.(pages.length);
      answer = await send(h.app, "GET", `/v1/client-mgmt/metadata?cursor=${answer.body.next}&limit=${limit}`);
    }
  }

  test("pages add up to the streamed snapshot, at its offset, however many writes commit between pages", async () => {
    const h = makeHarness();
    await filled(h, 6, 5);
    const expected = JSON.parse(wholeDocument(h, "client"));
    const pages = await allPages(h, "/v1/client-mgmt/metadata", 7, async (n) => {
      expect((await send(h.app, "POST", "/v1/topics", { name: `between-${n}`, partitions: 1, replicationFactor: 1 })).status).toBe(201);
    });
    expect(pages.length).toBe(Math.ceil((3 + 6 + 30) / 7));
    const sum = { brokers: [], topics: [], partitions: [], producers: [] } as Record<string, unknown[]>;
    for (const page of pages) {
      expect(page.offset).toBe(expected.offset);
      for (const key of Object.keys(sum)) sum[key].push(...page.snapshot[key]);
    }
    expect(sum).toEqual(expected.snapshot);
  });

  test("BrokerMgmt pages carry producers; its cursors page only BrokerMgmt views", async () => {
    const h = makeHarness();
    await filled(h, 2, 2);
    const first = await post(h, "/v1/broker-mgmt/metadata?limit=100", { brokerId: 2 });
    const page = (await first.json()) as any;
    expect(page.next).toBeNull();
    expect(page.snapshot.producers).toHaveLength(1);
    const again = await post(h, "/v1/broker-mgmt/metadata?limit=3", { brokerId: 2 });
    const cursor = ((await again.json()) as any).next;
    const wrongRoute = await send(h.app, "GET", `/v1/client-mgmt/metadata?cursor=${cursor}`);
    expect(wrongRoute.status).toBe(422);
    expect(wrongRoute.body.message).toContain("pages a broker view");
  });

  test("a cursor whose view is gone is a 410 cursor_expired: evicted past maxPageViews, or unused for pageViewTtlMs", async () => {
    const h = makeHarness({ limits: { maxPageViews: 1, pageViewTtlMs: 1_000 } });
    await filled(h, 2, 2);
    const old = (await send(h.app, "GET", "/v1/client-mgmt/metadata?limit=2")).body.next;
    await send(h.app, "POST", "/v1/topics", { name: "newer" });
    expect((await send(h.app, "GET", "/v1/client-mgmt/metadata?limit=2")).status).toBe(200); // a second view evicts the first
    expect((await send(h.app, "GET", "/metrics")).text).toContain("\nyakt_image_page_views 1\n");
    const gone = await send(h.app, "GET", `/v1/client-mgmt/metadata?cursor=${old}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ error: "cursor_expired" });
    expect(gone.body.message).toContain("start again without cursor");

    const fresh = (await send(h.app, "GET", "/v1/client-mgmt/metadata?limit=2")).body.next;
    h.clock.advance(999);
    const kept = await send(h.app, "GET", `/v1/client-mgmt/metadata?cursor=${fresh}&limit=2`);
    expect(kept.status).toBe(200);
    h.clock.advance(1_000);
    expect((await send(h.app, "GET", `/v1/client-mgmt/metadata?cursor=${kept.body.next}`)).status).toBe(410);
  });

  test("bad paging input is refused and writes nothing", async () => {
    const h = makeHarness();
    await filled(h, 1, 1);
    const before = await h.fingerprint();
    const cursor = (await send(h.app, "GET", "/v1/client-mgmt/metadata?limit=1")).body.next;
    for (const [query, message] of [
      ["cursor=bm90LWEtY3Vyc29y", "is not one this API gave out"],
      [`cursor=${cursor}&since=1`, "give either cursor or since"],
      ["limit=0", "limit must be an integer from 1 to 10000"],
      ["limit=10001", "limit must be an integer from 1 to 10000"],
    ]) {
      const refused = await send(h.app, "GET", `/v1/client-mgmt/metadata?${query}`);
      expect(refused.status).toBe(422);
      expect(refused.body.message).toContain(message);
    }
    expect((await send(h.app, "GET", "/v1/client-mgmt/metadata?cursor=not%20base64")).status).toBe(422);
    expect(await h.fingerprint()).toBe(before);
  });
});
