// The topic routes write their answers with record-json.ts: the bytes, status and content type
// must be what Elysia's own JSON of the same object gave (JSON.stringify), on every path.
import { describe, expect, test } from "bun:test";
import { COMPRESS_FROM_CHARS } from "../../src/api/json-answer.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const JSON_TYPE = "application/json;charset=utf-8";

test("create, read and grow a topic: the answers are JSON.stringify's text of the records", async () => {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 2}` };
    expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
  }
  const created = await send(h.app, "POST", "/v1/topics", { name: "orders", partitions: 12, replicationFactor: 3 });
  expect(created.status).toBe(201);
  expect(created.headers.get("content-type")).toBe(JSON_TYPE);
  const view = await h.service.getTopic("orders", "stale");
  expect(created.text).toBe(JSON.stringify(view));
  expect(created.body.partitions).toHaveLength(12);

  for (const path of ["/v1/topics/orders", "/v1/topics/orders?consistency=stale"]) {
    const read = await send(h.app, "GET", path);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe(JSON_TYPE);
    expect(read.text).toBe(JSON.stringify(view));
  }

  const grown = await send(h.app, "POST", "/v1/topics/orders/partitions", { count: 3 });
  expect(grown.status).toBe(201);
  expect(grown.headers.get("content-type")).toBe(JSON_TYPE);
  const after = await h.service.getTopic("orders", "stale");
  expect(grown.text).toBe(JSON.stringify({ partitions: after.partitions.slice(12) }));

  const bare = await send(h.app, "POST", "/v1/topics", { name: "bare" });
  expect(bare.status).toBe(201);
  expect(bare.text).toBe(JSON.stringify(await h.service.getTopic("bare", "stale")));
  expect(JSON.parse(bare.text).partitions).toEqual([]);
});

test("errors of the topic routes stay JSON errors with their status", async () => {
  const h = makeHarness();
  await h.seed();
  const missing = await send(h.app, "GET", "/v1/topics/nope");
  expect(missing.status).toBe(404);
  expect(missing.body).toMatchObject({ error: "not_found" });
  const taken = await send(h.app, "POST", "/v1/topics", { name: "t1" });
  expect(taken.status).toBe(409);
  expect(taken.body).toMatchObject({ error: "conflict" });
  const wide = await send(h.app, "POST", "/v1/topics", { name: "wide", partitions: 2, replicationFactor: 9 });
  expect(wide.status).toBe(422);
  expect(await h.service.listTopics("stale")).toHaveLength(1);
});

// A large answer given after an await leaves Bun 1.4.4 uncorked, ~15 send()s (json-answer.ts), so
// it is compressed when the caller allows: the bytes decode to the same JSON text, on every path.
describe("large topic answers are compressed as Accept-Encoding allows", () => {
  const decoders: Record<string, (bytes: Uint8Array<ArrayBuffer>) => Uint8Array> = {
    zstd: (bytes) => Bun.zstdDecompressSync(bytes),
    gzip: (bytes) => Bun.gunzipSync(bytes),
  };

  async function raw(h: ReturnType<typeof makeHarness>, method: string, path: string, acceptEncoding: string | null, body?: unknown) {
    const headers: Record<string, string> = acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding };
    if (body !== undefined) headers["content-type"] = "application/json";
    const init: RequestInit = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const response = await h.app.handle(new Request(`http://localhost${path}`, init));
    const bytes = new Uint8Array(await response.arrayBuffer());
    const coding = response.headers.get("content-encoding");
    const text = new TextDecoder().decode(coding === null ? bytes : decoders[coding]!(bytes));
    return { response, bytes, coding, text };
  }

  async function withBrokers() {
    const h = makeHarness();
    for (const id of [1, 2, 3, 4]) {
      const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 2}` };
      expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
    }
    return h;
  }

  test("zstd, gzip or plain: the same text, and the answer says how it is encoded", async () => {
    const h = await withBrokers();
    const created = await raw(h, "POST", "/v1/topics", "zstd", { name: "big", partitions: 100, replicationFactor: 3 });
    expect(created.response.status).toBe(201);
    expect(created.coding).toBe("zstd");
    const view = JSON.stringify(await h.service.getTopic("big", "stale"));
    expect(created.text).toBe(view);
    expect(view.length).toBeGreaterThanOrEqual(COMPRESS_FROM_CHARS);
    for (const [accept, coding] of [["gzip, deflate, br, zstd", "zstd"], ["gzip", "gzip"], ["br", null], [null, null]] as const) {
      for (const path of ["/v1/topics/big", "/v1/topics/big?consistency=stale"]) {
        const read = await raw(h, "GET", path, accept);
        expect(read.response.status).toBe(200);
        expect(read.coding).toBe(coding);
        expect(read.response.headers.get("content-type")).toBe(JSON_TYPE);
        expect(read.response.headers.get("vary")).toBe("accept-encoding");
        expect(read.text).toBe(view);
        // Compressed, the whole answer fits one socket write (Bun's 16-KiB cork buffer).
        if (coding !== null) expect(read.bytes.length).toBeLessThan(view.length / 4);
      }
    }
  });

  test("a read after a write sees the write, compressed or not", async () => {
    const h = await withBrokers();
    expect((await raw(h, "POST", "/v1/topics", "zstd", { name: "grows", partitions: 90, replicationFactor: 3 })).response.status).toBe(201);
    const grown = await raw(h, "POST", "/v1/topics/grows/partitions", "zstd", { count: 40 });
    expect(grown.response.status).toBe(201);
    expect(JSON.parse(grown.text).partitions).toHaveLength(40);
    for (const accept of ["zstd", "gzip", null]) {
      const read = await raw(h, "GET", "/v1/topics/grows", accept);
      expect(JSON.parse(read.text).partitions).toHaveLength(130);
      expect(read.text).toBe(JSON.stringify(await h.service.getTopic("grows", "stale")));
    }
  });

  test("a small answer is written as it is, whatever the caller accepts", async () => {
    const h = await withBrokers();
    expect((await raw(h, "POST", "/v1/topics", "zstd", { name: "small", partitions: 2, replicationFactor: 3 })).coding).toBeNull();
    const read = await raw(h, "GET", "/v1/topics/small", "zstd, gzip");
    expect(read.coding).toBeNull();
    expect(read.response.headers.get("vary")).toBeNull();
    expect(read.text).toBe(JSON.stringify(await h.service.getTopic("small", "stale")));
  });
});
