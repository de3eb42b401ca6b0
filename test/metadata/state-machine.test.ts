import { describe, expect, test } from "bun:test";
import { encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataError } from "../../src/metadata/errors.ts";
import { RECORD_BASE_BYTES, recordBytes } from "../../src/metadata/record-bytes.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { Feeder, T0, changeBroker, createPartition, createTopic, snapshotText, expectUnchanged, registerBroker, registerProducer } from "./fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function populated(): Feeder {
  const f = new Feeder();
  f.ok(registerBroker(2, { rackId: "b" }));
  f.ok(registerBroker(1, { rackId: "a" }));
  f.ok(registerBroker(3, { rackId: "a" }));
  f.ok(createTopic("zeta", 3, 2));
  f.ok(createTopic("alpha"));
  f.ok(createPartition("alpha", 1, [3, 1]));
  f.ok(changeBroker(2, "heartbeat"));
  f.ok(registerProducer(1, 7));
  f.ok(registerProducer(2));
  return f;
}

describe("MetadataStateMachine.apply", () => {
  test("garbage entries are rejected as bad_request, change nothing, and never throw", () => {
    const f = populated();
    const inputs = [new Uint8Array([0xff, 0xfe, 0x00]), enc(""), enc("null"), enc("[]"), enc('{"kind":"nope"}'), enc('{"kind":"registerBroker"}'), enc(JSON.stringify({ ...registerBroker(9), extra: 1 })), enc(JSON.stringify({ ...registerBroker(9), timestamp: "yesterday" })), enc(JSON.stringify({ ...registerBroker(9), brokerId: 1.5 }))];
    for (const data of inputs) {
      expectUnchanged(f, () => {
        const r = f.sm.apply(f.sm.appliedIndex() + 1, data);
        expect(r).toMatchObject({ ok: false, error: { code: "bad_request" } });
      });
    }
    const r = f.sm.apply(f.sm.appliedIndex() + 1, enc(JSON.stringify({ ...registerBroker(9), brokerId: "nine" })));
    expect(!r.ok && r.error.message).toBe('entry 19 holds no valid command: /brokerId: Expected integer (got "nine")');
  });

  test("an index at or below the applied one is refused without effect", () => {
    const f = populated();
    const applied = f.sm.appliedIndex();
    expectUnchanged(f, () => expect(f.sm.apply(applied, encodeCommand(registerBroker(50)))).toMatchObject({ ok: false, error: { code: "internal" } }));
    expect(f.sm.appliedIndex()).toBe(applied);
  });

  test("offsets follow the entry index, gaps included (no-ops are never applied)", () => {
    const sm = new MetadataStateMachine();
    const r = sm.apply(5, encodeCommand(registerBroker(1)));
    expect(r.ok && r.records[0].offset).toBe(5);
    expect(sm.appliedIndex()).toBe(5);
  });

  test("change listeners see each entry's records, and a failing listener does not stop apply", () => {
    const f = new Feeder();
    const seen: string[] = [];
    f.sm.onChange(() => {
      throw new Error("boom");
    });
    const off = f.sm.onChange((c) => seen.push(c.kind === "records" ? c.records.map((r) => r.name).join("+") : c.kind));
    f.ok(registerBroker(1));
    f.apply(registerBroker(1));
    f.ok(createTopic("t", 1, 1));
    off();
    f.ok(createTopic("u"));
    expect(seen).toEqual(["RegisterBrokerRecord", "TopicRecord+PartitionRecord"]);
  });
});

describe("snapshots", () => {
  test("the snapshot is binary version 3 and holds the image in a stable order", () => {
    const bytes = populated().sm.snapshot();
    expect(bytes[0]).toBe(3);
    const doc = JSON.parse(snapshotText(bytes));
    expect(doc.format).toBe("yakt-metadata-snapshot");
    expect(doc.version).toBe(2);
    expect(doc.appliedIndex).toBe(9);
    expect(doc.nextProducerId).toBe(1);
    expect(doc.brokers.map((b: { fields: { brokerId: number } }) => b.fields.brokerId)).toEqual([1, 2, 3]);
    expect(doc.topics.map((t: { fields: { name: string } }) => t.fields.name)).toEqual(["alpha", "zeta"]);
    expect(doc.partitions).toHaveLength(4);
    expect(doc.producers.map((p: { fields: { producerId: number } }) => p.fields.producerId)).toEqual([0, 7]);
    expect(doc.requests).toEqual([]);
  });

  test("a version 1 snapshot (before request ids) still loads, with no request remembered", () => {
    const whole = populated();
    const { requests: _none, ...v1 } = { ...JSON.parse(snapshotText(whole.sm.snapshot())), version: 1 };
    const restored = new MetadataStateMachine();
    restored.restore(9, enc(JSON.stringify(v1)));
    expect(restored.image().body()).toEqual(whole.sm.image().body());
    expect(restored.rememberedRequests()).toEqual({ ids: 0, records: 0 });
  });

  test("restore(snapshot) then the tail equals replaying everything, byte for byte", () => {
    const whole = populated();
    const restored = new MetadataStateMachine();
    restored.restore(whole.sm.appliedIndex(), whole.sm.snapshot());
    const tail = [registerProducer(3), createPartition("zeta", 9, [1, 2]), changeBroker(1, "update", { brokerHost: "h" }), registerBroker(4)];
    for (const cmd of tail) {
      const a = whole.apply(cmd);
      const b = new Feeder(restored).apply(cmd);
      expect(b).toEqual(a);
    }
    expect(snapshotText(restored.snapshot())).toBe(snapshotText(whole.sm.snapshot()));
  });

  test("restore replaces the history: diffs start after the snapshot index", () => {
    const whole = populated();
    const sm = new MetadataStateMachine();
    sm.apply(1, encodeCommand(registerBroker(77)));
    sm.restore(9, whole.sm.snapshot());
    expect(sm.history.size).toBe(0);
    expect(sm.history.floor).toBe(9);
    expect(sm.image().broker(77)).toBeUndefined();
    expect(sm.image().broker(2)?.fields.brokerStatus).toBe("ALIVE");
  });

  test("a bad snapshot is refused with a MetadataError and the state stays", () => {
    const f = populated();
    const before = snapshotText(f.sm.snapshot());
    const good = JSON.parse(before);
    const bad = [
      enc("not json"),
      enc(JSON.stringify({ ...good, version: 3 })),
      enc(JSON.stringify({ ...good, version: 1 })),
      enc(JSON.stringify({ ...good, requests: undefined })),
      enc(JSON.stringify({ ...good, brokers: [{ name: "x" }] })),
      enc(JSON.stringify({ ...good, topics: [] })),
      enc(JSON.stringify({ ...good, producers: [...good.producers, good.producers[0]] })),
    ];
    for (const data of bad) {
      expect(() => f.sm.restore(20, data)).toThrow(MetadataError);
      expect(snapshotText(f.sm.snapshot())).toBe(before);
    }
    expect(() => f.sm.restore(3, f.sm.snapshot())).toThrow("snapshot covers index 9, past the index 3 it was restored at");
  });
});

describe("history", () => {
  test("is bounded, drops whole offsets, and keeps the newest entry whole", () => {
    const f = new Feeder(new MetadataStateMachine({ historyRecords: 3 }));
    f.ok(registerBroker(1));
    f.ok(registerBroker(2));
    f.ok(createTopic("t", 2, 1));
    expect(f.sm.history.size).toBe(3);
    expect(f.sm.history.floor).toBe(2);
    expect(f.sm.history.after(0).map((r) => r.offset)).toEqual([3, 3, 3]);
    f.ok(createTopic("big", 5, 1));
    expect(f.sm.history.size).toBe(6);
    expect(f.sm.history.floor).toBe(3);
  });

  test("records the image holds weigh nothing; a broker change weighs from its append, the record it replaced from then on", () => {
    const f = new Feeder();
    const [registered] = f.ok(registerBroker(1)).records;
    f.ok(createTopic("t", 2, 1));
    expect(f.sm.history.ownBytes).toBe(0);
    const [change] = f.ok(changeBroker(1, "update", { brokerHost: "h".repeat(200) })).records;
    // The registration the change replaced is held by the history alone now, and the change always was.
    expect(f.sm.history.ownBytes).toBe(recordBytes(registered) + recordBytes(change));
    expect(recordBytes(change)).toBeGreaterThan(200 + RECORD_BASE_BYTES);
    const [again] = f.ok(changeBroker(1, "update", { brokerHost: "i".repeat(10) })).records;
    // The view the first change made was the image's alone: nothing more weighs but the new change.
    expect(f.sm.history.ownBytes).toBe(recordBytes(registered) + recordBytes(change) + recordBytes(again));
  });

  test("replaced partitions and a removed topic's records weigh", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(registerBroker(2));
    const created = f.ok(createTopic("t", 2, 2)).records;
    const p0 = created.find((r) => r.name === "PartitionRecord" && r.fields.partitionId === 0)!;
    const p1 = created.find((r) => r.name === "PartitionRecord" && r.fields.partitionId === 1)!;
    const topic = created.find((r) => r.name === "TopicRecord")!;
    expect(f.sm.history.ownBytes).toBe(0);
    const replicas = p0.name === "PartitionRecord" ? [...p0.fields.replicas].reverse() : [];
    f.ok({ kind: "reassignPartition", timestamp: T0, topicName: "t", partitionId: 0, replicas });
    const afterReassign = f.sm.history.ownBytes;
    expect(afterReassign).toBe(recordBytes(p0));
    const [removal] = f.ok({ kind: "deleteTopic", timestamp: T0, name: "t" }).records;
    const p0Now = f.sm.history.after(0).filter((r) => r.name === "PartitionRecord" && r.fields.partitionId === 0).at(-1)!;
    expect(f.sm.history.ownBytes).toBe(afterReassign + recordBytes(p0Now) + recordBytes(p1) + recordBytes(topic) + recordBytes(removal));
  });

  test("a topic created in one entry and removed in another weighs every one of its records", () => {
    const f = new Feeder();
    for (const id of [1, 2, 3]) f.ok(registerBroker(id));
    const created = f.ok(createTopic("wide", 2_000, 3)).records;
    const [removal] = f.ok({ kind: "deleteTopic", timestamp: T0, name: "wide" }).records;
    const expected = created.reduce((sum, r) => sum + recordBytes(r), 0) + recordBytes(removal);
    expect(f.sm.history.ownBytes).toBe(expected);
  });

  test("the bytes bound drops whole old offsets, keeps the newest, and a reset forgets the weights", () => {
    const bound = 4_000;
    const f = new Feeder(new MetadataStateMachine({ historyOwnBytes: bound }));
    f.ok(registerBroker(1));
    let last = 0;
    for (let i = 0; i < 40; i++) last = f.ok(changeBroker(1, "update", { brokerHost: `host-${i}-${"x".repeat(200)}` })).records[0].offset;
    const history = f.sm.history;
    expect(history.ownBytes).toBeLessThanOrEqual(bound);
    expect(history.floor).toBeGreaterThan(1);
    expect(history.last()?.offset).toBe(last);
    // Everything above the floor is held, offset by offset.
    expect(history.after(history.floor).map((r) => r.offset)).toEqual(Array.from({ length: last - history.floor }, (_, i) => history.floor + 1 + i));
    // One entry over the bound alone stays whole.
    const tiny = new Feeder(new MetadataStateMachine({ historyOwnBytes: 10 }));
    tiny.ok(registerBroker(1));
    const [only] = tiny.ok(changeBroker(1, "update", { brokerHost: "y".repeat(100) })).records;
    expect(tiny.sm.history.after(0)).toEqual([only]);
    expect(tiny.sm.history.ownBytes).toBe(recordBytes(only));
    const restored = new MetadataStateMachine();
    restored.restore(f.sm.appliedIndex(), f.sm.snapshot());
    expect(restored.history.ownBytes).toBe(0);
    expect(restored.history.size).toBe(0);
  });

  test("pages hold whole offsets up to the limit", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(createTopic("t", 2, 1));
    f.ok(registerBroker(2));
    expect(f.sm.history.page(1, 2).map((r) => r.offset)).toEqual([1]);
    expect(f.sm.history.page(1, 4).map((r) => r.offset)).toEqual([1, 2, 2, 2]);
    expect(f.sm.history.page(2, 1).map((r) => r.offset)).toEqual([2, 2, 2]);
    expect(f.sm.history.page(4, 10)).toEqual([]);
  });
});

describe("shared records", () => {
  test("records handed out cannot be changed by a reader", () => {
    const f = populated();
    const broker = f.sm.image().broker(1)!;
    expect(() => {
      (broker.fields as { brokerStatus: string }).brokerStatus = "CLOSED";
    }).toThrow(TypeError);
    const partition = f.sm.image().allTopics().flatMap((t) => f.sm.image().partitionsOf(t.fields.topicUUID))[0];
    expect(() => (partition.fields.replicas as number[]).push(99)).toThrow(TypeError);
    expect(f.sm.image().broker(1)?.fields.brokerStatus).toBe("INIT");
  });
});
