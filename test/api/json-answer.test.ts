// jsonAnswer: which JSON answers are compressed (large ones, up to a bound, when the caller accepts
// zstd or gzip) and that every form decodes to the same text with its status and headers; and the
// seed topic routes, which answer through it, give the same text compressed or not.
import { describe, expect, test } from "bun:test";
import { COMPRESS_FROM_CHARS, COMPRESS_UP_TO_CHARS, jsonAnswer } from "../../src/api/json-answer.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const JSON_TYPE = "application/json;charset=utf-8";

function asking(acceptEncoding: string | null): Request {
  return new Request("http://localhost/x", { headers: acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding } });
}

async function decoded(response: Response): Promise<string> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const coding = response.headers.get("content-encoding");
  if (coding === null) return new TextDecoder().decode(bytes);
  return new TextDecoder().decode(coding === "zstd" ? Bun.zstdDecompressSync(bytes) : Bun.gunzipSync(bytes));
}

/** A JSON text of about `chars` characters. */
const jsonOf = (chars: number) => JSON.stringify({ items: "x".repeat(Math.max(0, chars - 12)) });

describe("jsonAnswer", () => {
  test("compresses from COMPRESS_FROM_CHARS up to COMPRESS_UP_TO_CHARS, as the caller allows", async () => {
    const cases: [number, string | null, string | null][] = [
      [COMPRESS_FROM_CHARS - 100, "zstd", null],
      [COMPRESS_FROM_CHARS + 100, "zstd", "zstd"],
      [COMPRESS_FROM_CHARS + 100, "gzip;q=1, zstd;q=0.5", "gzip"],
      [COMPRESS_FROM_CHARS + 100, "br", null],
      [COMPRESS_FROM_CHARS + 100, null, null],
      [COMPRESS_UP_TO_CHARS - 100, "zstd", "zstd"],
      [COMPRESS_UP_TO_CHARS + 100, "zstd", null],
    ];
    for (const [chars, accept, coding] of cases) {
      const text = jsonOf(chars);
      const response = jsonAnswer(text, 201, asking(accept));
      expect(response.status).toBe(201);
      expect(response.headers.get("content-type")).toBe(JSON_TYPE);
      expect(response.headers.get("content-encoding")).toBe(coding);
      // The answer varies with Accept-Encoding exactly where it may be compressed.
      const mayVary = text.length >= COMPRESS_FROM_CHARS && text.length <= COMPRESS_UP_TO_CHARS;
      expect(response.headers.get("vary")).toBe(mayVary ? "accept-encoding" : null);
      expect(await decoded(response)).toBe(text);
    }
  });
});

describe("seed topic routes", () => {
  test("create_topic and get_topic_by_name give the same text compressed or not", async () => {
    const h = makeHarness();
    for (const id of [1, 2, 3]) {
      const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r" };
      expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
    }
    const create = new Request("http://localhost/create_topic", {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": "zstd" },
      body: JSON.stringify({ name: "seeded", partitions: 100, replicationFactor: 3 }),
    });
    const created = await h.app.handle(create);
    expect(created.status).toBe(200);
    expect(created.headers.get("content-encoding")).toBe("zstd");
    const view = await h.service.getTopic("seeded", "stale");
    expect(JSON.parse(await decoded(created))).toEqual({ message: "Topic created successfully", record: view.topic, partitions: view.partitions });

    const plain = await send(h.app, "GET", "/get_topic_by_name/seeded");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.body).toEqual({ ...view.topic.fields, timestamp: view.topic.timestamp, record: view.topic, partitions: view.partitions });
    for (const accept of ["zstd", "gzip"]) {
      const read = await h.app.handle(new Request("http://localhost/get_topic_by_name/seeded", { headers: { "accept-encoding": accept } }));
      expect(read.headers.get("content-encoding")).toBe(accept);
      expect(await decoded(read)).toBe(plain.text);
    }
  });
});
