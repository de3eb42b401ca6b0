// The remembered request ids: bounds and eviction (ids, records held, age by the leader's stamps),
// replay and key reuse at apply, the same table on every replica, and the table through snapshots
// (one-shot and sliced encoders byte-identical, restore equal to replay).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { encodeSnapshot } from "../../src/metadata/image-codec.ts";
import { requestFingerprint } from "../../src/metadata/request-ids.ts";
import { RequestTable, type RequestTableBounds } from "../../src/metadata/request-table.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { Feeder, changeBroker, createTopic, snapshotText, registerBroker } from "./fixtures.ts";

const T = Date.parse("2026-11-24T00:00:00.000Z");
const at = (ms: number) => new Date(T + ms).toISOString();
const hashOf = (text: string) => requestFingerprint(text);

/** A create-topic command carrying a request id, stamped `ms` after T. */
function keyed(name: string, id: string, ms = 0, hash = hashOf(name), partitions = 0, topicUUID?: string): Command {
  return { ...createTopic(name, partitions, partitions ? 1 : 0, topicUUID), timestamp: at(ms), requestId: id, requestHash: hash };
}

const small = (over: Partial<RequestTableBounds> = {}): RequestTableBounds => ({ maxRequests: 3, maxRecords: 100, maxAgeMs: 60_000, ...over });

describe("request fingerprints", () => {
  test("are the first 128 bits of SHA-256 in hex, pinned: a retry may reach a leader of another build", () => {
    expect(requestFingerprint("")).toBe("e3b0c44298fc1c149afbf4c8996fb924");
    expect(requestFingerprint('{"kind":"deleteTopic","timestamp":"1970-01-01T00:00:00.000Z","name":"ü"}')).toBe(
      createHash("sha256").update('{"kind":"deleteTopic","timestamp":"1970-01-01T00:00:00.000Z","name":"ü"}').digest("hex").slice(0, 32),
    );
  });
});

describe("request table", () => {
  test("remembers results in apply order and evicts the oldest past the id bound", () => {
    const table = new RequestTable(small());
    for (const [i, id] of ["n:a", "n:b", "n:c", "n:d"].entries()) {
      table.remember({ id, hash: hashOf(id), offset: i + 1, at: T, result: { ok: false, error: { code: "conflict", message: id } } });
    }
    expect(table.size).toBe(3);
    expect(table.recall("n:a", hashOf("n:a"))).toBeNull();
    expect(table.recall("n:d", hashOf("n:d"))?.kind).toBe("replay");
    expect(table.recall("n:d", hashOf("other"))?.kind).toBe("reused");
  });

  test("an id remembered twice is an invariant failure that leaves the first entry and the order as they were", () => {
    const table = new RequestTable(small());
    const first = { id: "n:a", hash: hashOf("n:a"), offset: 1, at: T, result: { ok: false as const, error: { code: "conflict" as const, message: "first" } } };
    table.remember(first);
    table.remember({ ...first, id: "n:b", offset: 2 });
    expect(() => table.remember({ ...first, offset: 3, hash: hashOf("again") })).toThrow("request id n:a remembered twice (offset 3)");
    expect(table.recall("n:a", hashOf("n:a"))).toEqual({ kind: "replay", entry: first });
    expect([...table.inOrder()].map((e) => e.offset)).toEqual([1, 2]);
    table.remember({ ...first, id: "n:c", offset: 4 });
    table.remember({ ...first, id: "n:d", offset: 5 }); // evicts n:a, the oldest, without tripping over the refused one
    expect([...table.inOrder()].map((e) => e.id)).toEqual(["n:b", "n:c", "n:d"]);
  });

  test("a capture is the entries in apply order, unchanged by what is remembered or evicted after it", () => {
    const table = new RequestTable(small());
    const remember = (id: string, offset: number) => table.remember({ id, hash: hashOf(id), offset, at: T, result: { ok: false, error: { code: "conflict", message: id } } });
    remember("n:a", 1);
    remember("n:b", 2);
    const capture = table.capture();
    remember("n:c", 3);
    remember("n:d", 4); // evicts n:a (3 ids at most)
    expect(capture.map((e) => e.id)).toEqual(["n:a", "n:b"]);
    expect(table.capture().map((e) => e.id)).toEqual(["n:b", "n:c", "n:d"]);
  });

  test("the records held by remembered results are bounded too", () => {
    const f = new Feeder(new MetadataStateMachine({ requestBounds: small({ maxRequests: 100, maxRecords: 5 }) }));
    for (const b of [1, 2, 3]) f.ok(registerBroker(b, { rackId: `r${b}` }));
    f.ok(keyed("one", "k:one"));
    f.ok(keyed("four", "k:four", 0, hashOf("four"), 3)); // a topic and 3 partitions: 4 records
    expect(f.sm.rememberedRequests()).toEqual({ ids: 2, records: 5 });
    f.ok(keyed("two", "k:two"));
    // 6 records would exceed 5: the oldest ("one") goes.
    expect(f.sm.rememberedRequests()).toEqual({ ids: 2, records: 5 });
    expect(f.sm.recall(keyed("one", "k:one"))).toBeNull();
    expect(f.sm.recall(keyed("two", "k:two"))).not.toBeNull();
  });

  test("keeps apply order through thousands of evictions by count, records and age", () => {
    const table = new RequestTable(small({ maxRequests: 10, maxRecords: 12, maxAgeMs: 500 }));
    const random = seededRandom(0x7ab1e);
    const kept: { id: string; at: number; weight: number }[] = [];
    for (let i = 0; i < 5_000; i++) {
      const ms = T + i * 10;
      const weight = Math.floor(random() * 3);
      const records = Array.from({ length: weight }, (_, r) => ({ type: "metadata" as const, name: "TopicRecord" as const, offset: i + 1, timestamp: at(i * 10), fields: { topicUUID: `u${i}-${r}`, name: `t${i}-${r}` } }));
      table.expire(ms);
      table.remember({ id: `n:${i}`, hash: hashOf(`${i}`), offset: i + 1, at: ms, result: weight > 0 ? { ok: true, records } : { ok: false, error: { code: "conflict", message: `${i}` } } });
      // The model: drop the too old, then the oldest while over a bound.
      kept.push({ id: `n:${i}`, at: ms, weight });
      while (kept.length > 0 && kept[0].at <= ms - 500) kept.shift();
      while (kept.length > 10 || kept.reduce((n, k) => n + k.weight, 0) > 12) kept.shift();
    }
    const ids = kept.map((k) => k.id);
    expect([...table.inOrder()].map((e) => e.id)).toEqual(ids);
    expect(table.capture().map((e) => e.id)).toEqual(ids);
    expect(table.size).toBe(ids.length);
    expect(table.heldRecords).toBe(kept.reduce((n, k) => n + k.weight, 0));
    expect(table.recall("n:0", hashOf("0"))).toBeNull();
    expect(table.recall(ids[0], hashOf(ids[0].slice(2)))?.kind).toBe("replay");
    table.expire(T + 5_000 * 10 + 1_000);
    expect(table.size).toBe(0);
    expect([...table.inOrder()]).toEqual([]);
  });

  test("ages out by the timestamps of applied entries, never by a local clock", () => {
    const f = new Feeder(new MetadataStateMachine({ requestBounds: small({ maxRequests: 100 }) }));
    f.ok(keyed("a", "k:a", 0));
    f.ok(keyed("b", "k:b", 30_000));
    f.ok(keyed("c", "k:c", 60_000)); // "a" is now 60 s old: the bound, so it goes
    expect(f.sm.rememberedRequests().ids).toBe(2);
    expect(f.sm.recall(keyed("a", "k:a"))).toBeNull();
    // An entry without a request id moves the clock too.
    f.ok({ ...registerBroker(9), timestamp: at(95_000) });
    expect(f.sm.rememberedRequests().ids).toBe(1);
    expect(f.sm.recall(keyed("c", "k:c"))).not.toBeNull();
  });
});

describe("request ids at apply", () => {
  test("the same id again answers the first result and changes nothing", () => {
    const f = new Feeder();
    const first = f.ok(keyed("orders", "k:retry-1"));
    const before = snapshotText(f.sm.snapshot()).replace(/"appliedIndex":\d+/, "");
    const again = f.apply(keyed("orders", "k:retry-1", 5));
    expect(again).toEqual(first);
    expect(snapshotText(f.sm.snapshot()).replace(/"appliedIndex":\d+/, "")).toBe(before);
    expect(f.sm.history.size).toBe(1);
  });

  test("a refusal is remembered and answered again, even once the state would allow the request", () => {
    const f = new Feeder();
    f.ok(createTopic("taken"));
    const retried = () => f.apply(keyed("taken", "k:r", 0, hashOf("taken"), 0, "uuid-other"));
    const refused = retried();
    expect(refused).toMatchObject({ ok: false, error: { code: "conflict" } });
    expect(retried()).toEqual(refused);
  });

  test("an id reused for a different request is refused with idempotency_key_reused", () => {
    const f = new Feeder();
    f.ok(keyed("first", "k:same"));
    const reused = f.apply(keyed("second", "k:same"));
    expect(reused).toMatchObject({ ok: false, error: { code: "idempotency_key_reused" } });
    expect(reused.ok ? "" : reused.error.message).toContain('Idempotency-Key "same" was already used (offset 1)');
    expect(f.sm.image().topicByName("second")).toBeUndefined();
  });

  test("replicas applying the same entries hold the same table, byte for byte in their snapshots", () => {
    const random = seededRandom(0x1d);
    const commands: Command[] = [];
    for (let i = 0; i < 400; i++) {
      const id = `k:key-${Math.floor(random() * 60)}`;
      const name = `t${Math.floor(random() * 80)}`;
      commands.push(keyed(name, id, i * 1_000, hashOf(random() < 0.8 ? id : name)));
    }
    const replicas = [1, 2].map(() => new MetadataStateMachine({ requestBounds: small({ maxRequests: 25, maxAgeMs: 120_000 }) }));
    const results = replicas.map((sm) => commands.map((c, i) => sm.apply(i + 1, encodeCommand(c))));
    expect(results[1]).toEqual(results[0]);
    expect(snapshotText(replicas[1].snapshot())).toBe(snapshotText(replicas[0].snapshot()));
    expect(replicas[0].rememberedRequests().ids).toBeGreaterThan(0);
  });
});

describe("request table in snapshots", () => {
  function populated(): MetadataStateMachine {
    const f = new Feeder();
    for (const b of [1, 2]) f.ok(registerBroker(b, { rackId: `r${b}` }));
    f.ok(keyed("alpha", "k:alpha", 0, hashOf("alpha"), 2));
    f.apply(keyed("alpha", "k:alpha-again")); // refused: already exists
    f.ok(keyed("beta", "n:generated-1", 10));
    f.ok({ ...registerBroker(5), requestId: "k:b5", requestHash: hashOf("b5") });
    f.ok(changeBroker(5, "update", { brokerHost: "moved" }));
    return f.sm;
  }

  test("records the image still holds are written as references, changed ones in full", () => {
    const doc = JSON.parse(snapshotText(populated().snapshot()));
    const recordsOf = (id: string) => doc.requests.find((r: { id: string }) => r.id === id).result.records;
    expect(recordsOf("k:alpha")).toEqual([
      { ref: "topic:uuid-topic-alpha", offset: 3 },
      { ref: "partition:0:uuid-topic-alpha", offset: 3 },
      { ref: "partition:1:uuid-topic-alpha", offset: 3 },
    ]);
    // Broker 5 changed since its registration: the image's view is another record now.
    expect(recordsOf("k:b5")).toMatchObject([{ type: "metadata", name: "RegisterBrokerRecord", offset: 6, fields: { brokerHost: "host5" } }]);
  });

  test("restore then apply equals replaying everything; sliced and one-shot bytes agree", () => {
    const whole = populated();
    const bytes = whole.snapshot();
    const doc = JSON.parse(snapshotText(bytes));
    expect(doc.requests.map((r: { id: string }) => r.id)).toEqual(["k:alpha", "k:alpha-again", "n:generated-1", "k:b5"]);
    const requests = whole.rememberedInOrder();
    expect(snapshotText(encodeSnapshot(whole.image(), whole.appliedIndex(), requests))).toBe(snapshotText(bytes));
    const encoding = whole.beginSnapshot();
    let sliced: Uint8Array | null = null;
    for (let steps = 0; sliced === null && steps < 10_000; steps++) sliced = encoding.step(1);
    expect(snapshotText(sliced as Uint8Array)).toBe(snapshotText(bytes));

    const restored = new MetadataStateMachine();
    restored.restore(whole.appliedIndex(), bytes);
    expect(restored.rememberedRequests()).toEqual(whole.rememberedRequests());
    for (const retry of [keyed("alpha", "k:alpha", 20, hashOf("alpha"), 2), { ...registerBroker(5), requestId: "k:b5", requestHash: hashOf("b5") }]) {
      const [a, b] = [whole, restored].map((sm) => sm.apply(sm.appliedIndex() + 1, encodeCommand(retry)));
      expect(b).toEqual(a);
      expect(a.ok).toBe(true);
    }
    const alpha = restored.recall(keyed("alpha", "k:alpha", 20, hashOf("alpha"), 2));
    expect(alpha?.result).toMatchObject({ ok: true, records: [{ name: "TopicRecord", offset: 3 }, { name: "PartitionRecord" }, { name: "PartitionRecord" }] });
    expect(restored.recall({ ...registerBroker(5), requestId: "k:b5", requestHash: hashOf("b5") })?.result).toMatchObject({ ok: true, records: [{ offset: 6, fields: { brokerHost: "host5" } }] });
    expect(snapshotText(restored.snapshot())).toBe(snapshotText(whole.snapshot()));
  });

  test("sliced encoding equals the one-shot bytes for random keyed histories at any budget", () => {
    const step = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 9 })).map(([b, k]): Command => ({ ...registerBroker(b, { rackId: `r${b}` }), requestId: `k:${k}`, requestHash: hashOf(`b${b}`) })),
      fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom("update" as const, "unregister" as const)).map(([b, change]) => changeBroker(b, change, change === "update" ? { brokerHost: "h" } : {}) as Command),
      fc.tuple(fc.stringMatching(/^[a-c]{1,2}$/), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 9 })).map(([name, partitions, k]) => keyed(name, `n:${k}`, 0, hashOf(name), partitions)),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (commands, budget) => {
        const sm = new MetadataStateMachine();
        commands.forEach((c, i) => sm.apply(i + 1, encodeCommand(c)));
        const requests = sm.rememberedInOrder();
        const expected = snapshotText(encodeSnapshot(sm.image(), sm.appliedIndex(), requests));
        const encoding = sm.beginSnapshot();
        let bytes: Uint8Array | null = null;
        for (let steps = 0; bytes === null && steps < 100_000; steps++) bytes = encoding.step(budget);
        expect(snapshotText(bytes as Uint8Array)).toBe(expected);
        const restored = new MetadataStateMachine();
        restored.restore(sm.appliedIndex(), bytes as Uint8Array);
        expect(snapshotText(restored.snapshot())).toBe(expected);
      }),
      { seed: 0x1d2, numRuns: 150 },
    );
  });

  test("a snapshot with a malformed or inconsistent table is refused and the state stays", () => {
    const sm = populated();
    const good = JSON.parse(snapshotText(sm.snapshot()));
    const first = good.requests[0];
    const bad = [
      { ...good, requests: [first, first] },
      { ...good, requests: [{ ...first, offset: good.appliedIndex + 1 }] },
      { ...good, requests: [{ ...first, result: { ok: false, error: { code: "made_up", message: "x" } } }] },
      { ...good, requests: [{ ...first, hash: 7 }] },
      { ...good, requests: [{ ...first, result: { ok: true, records: [{ ref: "topic:no-such-topic", offset: 3 }] } }] },
      { ...good, requests: [{ ...first, result: { ok: true, records: [{ ref: "topic:uuid-topic-alpha", offset: 4 }] } }] },
      { ...good, requests: [{ ...first, result: { ok: true, records: [{ ref: "partition:x:uuid-topic-alpha", offset: 3 }] } }] },
    ];
    const before = snapshotText(sm.snapshot());
    for (const doc of bad) {
      expect(() => sm.restore(good.appliedIndex, new TextEncoder().encode(JSON.stringify(doc)))).toThrow("snapshot");
      expect(snapshotText(sm.snapshot())).toBe(before);
    }
  });
});
