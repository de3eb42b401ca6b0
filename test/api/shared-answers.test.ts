// Answers shared by a fleet (through app.handle): long polls woken by one commit all get the same
// bytes (plain and compressed), and brokers starting together share one snapshot build, which
// holds a stream slot only while it runs; answers past sharedAnswerMaxRecords stream as before.
import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { answerResponse } from "../../src/api/answer-response.ts";
import { DEFAULT_LIMITS } from "../../src/api/limits.ts";
import { StreamGate } from "../../src/api/stream-gate.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const brokerBody = (id: number) => ({ brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 3}` });

function request(h: Harness, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return h.app.handle(new Request(`http://localhost${path}`, init));
}

async function brokers(h: Harness, n: number): Promise<void> {
  for (let id = 1; id <= n; id++) expect((await send(h.app, "POST", "/v1/brokers", brokerBody(id))).status).toBe(201);
}

describe("answers shared by a fleet", () => {
  test("long polls woken by one commit get the same diff, byte for byte, plain and compressed", async () => {
    const h = makeHarness();
    await brokers(h, 12);
    // Each broker's first heartbeat is a status change (INIT to ALIVE): after them the fleet is steady.
    for (let id = 1; id <= 12; id++) expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
    const since = h.stateMachine.appliedIndex();
    const encodings = ["identity", "gzip", "zstd"];
    const polls = Array.from({ length: 12 }, (_, i) =>
      request(h, "POST", "/v1/broker-mgmt/metadata", { brokerId: i + 1, since, wait_ms: 30_000 }, { "accept-encoding": encodings[i % 3] }),
    );
    expect((await send(h.app, "POST", "/v1/topics", { name: "woke-them" })).status).toBe(201);
    const answers = await Promise.all(polls);
    const texts: string[] = [];
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      const bytes = new Uint8Array(await answer.arrayBuffer());
      const encoding = encodings[i % 3];
      expect(answer.headers.get("content-encoding")).toBe(encoding === "identity" ? null : encoding);
      const plain = encoding === "gzip" ? gunzipSync(bytes) : encoding === "zstd" ? Bun.zstdDecompressSync(bytes) : bytes;
      texts.push(new TextDecoder().decode(plain));
    }
    const expected = JSON.stringify({ mode: "diff", offset: since + 1, records: h.stateMachine.history.after(since) });
    expect(new Set(texts)).toEqual(new Set([expected]));
    expect(JSON.parse(expected).records[0]).toMatchObject({ name: "TopicRecord", fields: { name: "woke-them" } });
  });

  test("the same fetch at the same offset is answered with one answer object (built once)", async () => {
    const h = makeHarness();
    await brokers(h, 3);
    const since = h.stateMachine.appliedIndex();
    const waits = Array.from({ length: 8 }, () => h.service.clientMetadata({ since, waitMs: 30_000 }));
    expect((await send(h.app, "POST", "/v1/topics", { name: "once" })).status).toBe(201);
    const answers = await Promise.all(waits);
    for (const a of answers) expect(a).toBe(answers[0]);
    // ClientMgmt and BrokerMgmt answers differ (producers): never shared across audiences.
    const snapshotForClient = await h.service.clientMetadata({});
    const snapshotForBroker = await h.service.metadata({});
    expect(snapshotForClient).toBe(await h.service.clientMetadata({}));
    expect(snapshotForBroker).not.toBe(snapshotForClient);
  });

  test("brokers starting together share one snapshot build, which holds a stream slot only while it runs", async () => {
    const h = makeHarness({ limits: { maxImageStreams: 1 } });
    await brokers(h, 6);
    for (let id = 1; id <= 6; id++) expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
    const image = h.stateMachine.image().body();
    const expected = JSON.stringify({ mode: "snapshot", offset: h.stateMachine.appliedIndex(), snapshot: image });
    // Six snapshot answers at once through one slot, none of them read yet: they share one build.
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(h, "GET", "/v1/client-mgmt/metadata?consistency=stale")));
    for (const a of answers) expect(a.status).toBe(200);
    const metrics = (await send(h.app, "GET", "/metrics")).text;
    expect(metrics).toContain("\nyakt_image_streams 0\n");
    expect(metrics).toContain("\nyakt_image_streams_refused_total 0\n");
    for (const a of answers) expect(await a.text()).toBe(JSON.stringify({ ...JSON.parse(expected), snapshot: { ...image, producers: [] } }));
  });

  test("the seed routes' answers carry their message and are shared apart from /v1's", async () => {
    const h = makeHarness();
    await brokers(h, 2);
    const plain = await (await request(h, "GET", "/v1/client-mgmt/metadata")).text();
    const seed = await (await request(h, "GET", "/ClientMgmt")).text();
    expect(JSON.parse(seed)).toEqual({ message: "client metadata (snapshot)", ...JSON.parse(plain) });
    expect(await (await request(h, "GET", "/v1/client-mgmt/metadata")).text()).toBe(plain);
  });

  test("once a body is built, later askers get their answer at once: the same bytes and headers, per encoding and prefix", async () => {
    const h = makeHarness();
    await brokers(h, 2);
    const since = h.stateMachine.appliedIndex();
    expect((await send(h.app, "POST", "/v1/topics", { name: "at-once" })).status).toBe(201);
    const answer = await h.service.metadata({ since });
    const deps = { limits: DEFAULT_LIMITS, streams: new StreamGate(1) };
    const asking = (encoding: string) => new Request("http://localhost/", { headers: { "accept-encoding": encoding } });
    const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());
    for (const [encoding, prefix] of [["identity", {}], ["zstd", {}], ["identity", { message: "seed" }]] as const) {
      const first = answerResponse(deps, answer, asking(encoding), prefix);
      // A small diff is encoded at once, so even its first asker is answered in the same turn;
      // a compressed body is built on a promise, and every asker after it is answered at once.
      expect(first).toBeInstanceOf(encoding === "identity" ? Response : Promise);
      const firstResponse = await first;
      const later = answerResponse(deps, answer, asking(encoding), prefix);
      expect(later).toBeInstanceOf(Response);
      const laterResponse = later as Response;
      expect([...laterResponse.headers]).toEqual([...firstResponse.headers]);
      expect(laterResponse.headers.get("x-metadata-offset")).toBe(String(answer.offset));
      expect(laterResponse.headers.get("content-encoding")).toBe(encoding === "identity" ? null : encoding);
      expect(await bytesOf(laterResponse)).toEqual(await bytesOf(firstResponse));
      // A header set on one answer stays on it: each answer has its own copy of the shared ones.
      laterResponse.headers.set("x-extra", "1");
      expect((answerResponse(deps, answer, asking(encoding), prefix) as Response).headers.get("x-extra")).toBeNull();
    }
    const seeded = JSON.parse(new TextDecoder().decode(await bytesOf(answerResponse(deps, answer, asking("identity"), { message: "seed" }) as Response)));
    expect(seeded).toMatchObject({ message: "seed", mode: "diff", offset: answer.offset });
  });
});
