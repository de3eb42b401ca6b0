// Kept topic GET bodies (src/api/topic-bodies.ts): an unchanged topic is answered from its kept
// body, in every encoding the caller may ask for; every change to the topic or one of its
// partitions is seen by the next read (the body is built again); the table stays within its bound.
import { describe, expect, test } from "bun:test";
import type { TopicView } from "../../src/metadata/service-types.ts";
import { TopicBodies } from "../../src/api/topic-bodies.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const broker = (brokerId: number) => ({ brokerId, brokerHost: `b${brokerId}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${brokerId % 2}` });

/** Brokers 1-4 heartbeating. */
async function withBrokers() {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    expect((await send(h.app, "POST", "/v1/brokers", broker(id))).status).toBe(201);
    expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
  }
  return h;
}

type Harness = Awaited<ReturnType<typeof withBrokers>>;

/** The app's kept-body counters, from /metrics. */
async function kept(h: Harness): Promise<{ hits: number; misses: number; entries: number; bytes: number }> {
  const text = (await send(h.app, "GET", "/metrics")).text;
  const value = (name: string) => Number(new RegExp(`^yakt_topic_bodies_${name} (\\S+)$`, "m").exec(text)?.[1]);
  return { hits: value("hits_total"), misses: value("misses_total"), entries: value("kept"), bytes: value("bytes") };
}

/** A GET of the topic as the caller accepting `accept` sees it: status, coding and decoded text. */
async function read(h: Harness, name: string, accept: string | null, query = "") {
  const headers: Record<string, string> = accept === null ? {} : { "accept-encoding": accept };
  const response = await h.app.handle(new Request(`http://localhost/v1/topics/${name}${query}`, { headers }));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const coding = response.headers.get("content-encoding");
  const plain = coding === "zstd" ? Bun.zstdDecompressSync(bytes) : coding === "gzip" ? Bun.gunzipSync(bytes) : bytes;
  return { status: response.status, coding, text: new TextDecoder().decode(plain) };
}

/** Every encoding's answer is the current topic's JSON (what JSON.stringify of the view gives). */
async function expectCurrent(h: Harness, name: string, query = ""): Promise<string> {
  const view = JSON.stringify(await h.service.getTopic(name, "stale"));
  for (const accept of ["zstd", "gzip", null]) {
    const answer = await read(h, name, accept, query);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(view);
  }
  return view;
}

/** `value` frozen all the way down, as the image's records are. */
function deepFrozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value;
}

describe("kept topic bodies", () => {
  test("an unchanged topic is answered from its kept bodies, one per encoding", async () => {
    const h = await withBrokers();
    expect((await send(h.app, "POST", "/v1/topics", { name: "kept", partitions: 100, replicationFactor: 3 })).status).toBe(201);
    const first = await kept(h);
    const view = await expectCurrent(h, "kept");
    const built = await kept(h);
    expect(built.misses - first.misses).toBe(3);
    expect(await expectCurrent(h, "kept")).toBe(view);
    expect(await expectCurrent(h, "kept", "?consistency=stale")).toBe(view);
    const after = await kept(h);
    expect(after.misses).toBe(built.misses);
    expect(after.hits - built.hits).toBe(6);
    expect((await read(h, "kept", "zstd")).coding).toBe("zstd");
    expect((await read(h, "kept", "gzip")).coding).toBe("gzip");
    expect((await read(h, "kept", "br")).coding).toBeNull();
  });

  test("a small topic keeps one body for every caller", async () => {
    const h = await withBrokers();
    expect((await send(h.app, "POST", "/v1/topics", { name: "small", partitions: 2, replicationFactor: 3 })).status).toBe(201);
    const before = await kept(h);
    await expectCurrent(h, "small");
    const after = await kept(h);
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(2);
    expect((await read(h, "small", "zstd")).coding).toBeNull();
  });

  test("every change to the topic or its partitions is seen by the next read", async () => {
    const h = await withBrokers();
    expect((await send(h.app, "POST", "/v1/topics", { name: "moving", partitions: 40, replicationFactor: 3 })).status).toBe(201);
    const P0 = "/v1/topics/moving/partitions/0";
    const p0 = async () => (await h.service.getTopic("moving", "stale")).partitions[0].fields;
    const changes: [string, () => Promise<{ status: number }>][] = [
      ["AlterPartition shrinks the ISR", async () => {
        const f = await p0();
        return send(h.app, "POST", `${P0}/isr`, { brokerId: Number(f.leader), partitionEpoch: f.partitionEpoch, ISR: [Number(f.leader)] });
      }],
      ["AlterPartition grows it back", async () => {
        const f = await p0();
        return send(h.app, "POST", `${P0}/isr`, { brokerId: Number(f.leader), partitionEpoch: f.partitionEpoch, ISR: f.replicas });
      }],
      ["a reassignment starts", async () => {
        const f = await p0();
        const spare = [1, 2, 3, 4].find((id) => !f.replicas.includes(id))!;
        return send(h.app, "PUT", `${P0}/replicas`, { replicas: [spare, ...f.replicas.slice(1)] });
      }],
      ["it is cancelled", () => send(h.app, "DELETE", `${P0}/replicas`)],
      ["a reassignment changes the preferred leader", async () => {
        const f = await p0();
        return send(h.app, "PUT", `${P0}/replicas`, { replicas: [f.replicas[1], f.replicas[0], f.replicas[2]] });
      }],
      ["the preferred leader is elected", () => send(h.app, "POST", `${P0}/elect-leader`)],
      ["more partitions", () => send(h.app, "POST", "/v1/topics/moving/partitions", { count: 3 })],
      ["the topic deleted and made again", async () => {
        expect((await send(h.app, "DELETE", "/v1/topics/moving")).status).toBe(200);
        return send(h.app, "POST", "/v1/topics", { name: "moving", partitions: 40, replicationFactor: 3 });
      }],
    ];
    let seen = await expectCurrent(h, "moving");
    for (const [what, change] of changes) {
      const answer = await change();
      expect({ what, ok: answer.status === 200 || answer.status === 201 }).toEqual({ what, ok: true });
      const now = await expectCurrent(h, "moving");
      expect({ what, changed: now !== seen }).toEqual({ what, changed: true });
      seen = now;
    }
  });

  test("the table keeps to its bound, least recently read out first", async () => {
    const h = await withBrokers();
    const views: TopicView[] = [];
    for (const i of [0, 1, 2, 3, 4]) {
      expect((await send(h.app, "POST", "/v1/topics", { name: `t${i}`, partitions: 100, replicationFactor: 3 })).status).toBe(201);
      views.push(await h.service.getTopic(`t${i}`, "stale"));
    }
    const zstd = new Request("http://localhost/x", { headers: { "accept-encoding": "zstd" } });
    const probe = new TopicBodies(1 << 30);
    probe.answer(views[0], zstd);
    const one = probe.stats().bytes;
    // Room for two topics' entries, not three.
    const bodies = new TopicBodies(Math.floor(one * 2.5));
    for (const view of views) bodies.answer(view, zstd);
    expect(bodies.stats()).toMatchObject({ entries: 2, misses: 5, hits: 0 });
    expect(bodies.stats().bytes).toBeLessThanOrEqual(Math.floor(one * 2.5));
    bodies.answer(views[4], zstd);
    expect(bodies.stats()).toMatchObject({ hits: 1, misses: 5 });
    bodies.answer(views[0], zstd);
    expect(bodies.stats()).toMatchObject({ hits: 1, misses: 6, entries: 2 });
    // Records decoded anew (a snapshot installed): other objects, the same offsets and content.
    const decoded = deepFrozen(structuredClone(views[0]));
    bodies.answer(decoded, zstd);
    expect(bodies.stats()).toMatchObject({ hits: 2, misses: 6 });
    // The body served is the topic's, whatever was evicted.
    const text = await new Response(Bun.zstdDecompressSync(new Uint8Array(await bodies.answer(views[3], zstd).arrayBuffer()))).text();
    expect(text).toBe(JSON.stringify(views[3]));
  });

  test("a view whose records are not frozen is refused, not kept", () => {
    const topic = { type: "metadata", name: "TopicRecord", offset: 1, timestamp: "2026-12-07T00:00:00.000Z", fields: { topicUUID: "u", name: "loose" } };
    const view = { topic, partitions: [] } as unknown as TopicView;
    const bodies = new TopicBodies(1 << 20);
    expect(() => bodies.answer(view, new Request("http://localhost/x"))).toThrow(/not frozen/);
    expect(bodies.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});
