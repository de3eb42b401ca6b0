import { describe, expect, test } from "bun:test";
import { Feeder, changeBroker, createPartition, createTopic, expectUnchanged, registerBroker } from "./fixtures.ts";

function withBrokers(...ids: number[]): Feeder {
  const f = new Feeder();
  for (const id of ids) f.ok(registerBroker(id, { rackId: `rack${id % 2}` }));
  return f;
}

describe("topic creation", () => {
  test("a topic alone is one TopicRecord with the leader's UUID", () => {
    const f = new Feeder();
    expect(f.ok(createTopic("orders", 0, 0, "u-1")).records).toEqual([
      { type: "metadata", name: "TopicRecord", offset: 1, timestamp: "2026-11-24T00:00:00.000Z", fields: { topicUUID: "u-1", name: "orders" } },
    ]);
    expect(f.sm.image().topicByName("orders")?.fields.topicUUID).toBe("u-1");
  });

  test("illegal names are invalid and write nothing", () => {
    const f = new Feeder();
    for (const name of ["", ".", "..", "a".repeat(250), "has space", "ünï", "a/b"]) {
      expectUnchanged(f, () => expect(f.apply(createTopic(name, 0, 0, "u"))).toMatchObject({ ok: false, error: { code: "invalid" } }));
    }
    expect(f.ok(createTopic("a".repeat(249), 0, 0, "u")).records).toHaveLength(1);
    expect(f.ok(createTopic("A-z_0.9")).records).toHaveLength(1);
  });

  test("an existing name is a conflict; so is a '.'/'_' collision", () => {
    const f = new Feeder();
    f.ok(createTopic("my.topic"));
    expectUnchanged(f, () => {
      expect(f.apply(createTopic("my.topic", 0, 0, "other-uuid"))).toMatchObject({ ok: false, error: { code: "conflict" } });
      const collision = f.apply(createTopic("my_topic"));
      expect(collision).toMatchObject({ ok: false, error: { code: "conflict" } });
      expect(!collision.ok && collision.error.message).toContain('"my.topic"');
    });
  });

  test("partitions are created in the same entry, placed on active brokers, leader first and ISR = replicas", () => {
    const f = withBrokers(1, 2, 3);
    const r = f.ok(createTopic("t", 4, 2));
    expect(r.records.map((x) => x.name)).toEqual(["TopicRecord", "PartitionRecord", "PartitionRecord", "PartitionRecord", "PartitionRecord"]);
    for (const [i, rec] of r.records.slice(1).entries()) {
      if (rec.name !== "PartitionRecord") throw new Error("expected a partition");
      expect(rec.offset).toBe(4);
      expect(rec.fields.partitionId).toBe(i);
      expect(rec.fields.replicas).toHaveLength(2);
      expect(new Set(rec.fields.replicas).size).toBe(2);
      expect(rec.fields.ISR).toEqual(rec.fields.replicas);
      expect(rec.fields.leader).toBe(String(rec.fields.replicas[0]));
      expect(rec.fields).toMatchObject({ partitionEpoch: 0, removingReplicas: [], addingReplicas: [], topicUUID: "uuid-topic-t" });
    }
    expect(f.sm.image().partitionsOf("uuid-topic-t")).toHaveLength(4);
  });

  test("replicationFactor above the active brokers is invalid (fenced and closed ones do not count)", () => {
    const f = withBrokers(1, 2, 3);
    f.ok(changeBroker(2, "fence"));
    f.ok(changeBroker(3, "unregister"));
    expectUnchanged(f, () => {
      const r = f.apply(createTopic("t", 1, 2));
      expect(r).toMatchObject({ ok: false, error: { code: "invalid" } });
      expect(f.sm.image().topicByName("t")).toBeUndefined();
    });
    expect(f.ok(createTopic("t", 3, 1)).records.slice(1).map((p) => (p.fields as { replicas: number[] }).replicas)).toEqual([[1], [1], [1]]);
  });

  test("replicationFactor without partitions is invalid", () => {
    const f = withBrokers(1);
    expect(f.apply(createTopic("t", 0, 1))).toMatchObject({ ok: false, error: { code: "invalid" } });
  });
});

describe("partition creation", () => {
  function ready(): Feeder {
    const f = withBrokers(1, 2, 3);
    f.ok(createTopic("t"));
    return f;
  }

  test("a valid partition is recorded with epoch 0 and the topic's UUID", () => {
    const f = ready();
    const r = f.ok(createPartition("t", 7, [1, 2], { ISR: [2], leader: "2", addingReplicas: [1] }));
    expect(r.records[0]).toMatchObject({
      name: "PartitionRecord",
      offset: 5,
      fields: { partitionId: 7, topicUUID: "uuid-topic-t", replicas: [1, 2], ISR: [2], leader: "2", addingReplicas: [1], removingReplicas: [], partitionEpoch: 0 },
    });
  });

  test("an unknown topic is not_found", () => {
    const f = ready();
    expect(f.apply(createPartition("nope", 0, [1]))).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  test("a partition id used twice is a conflict", () => {
    const f = ready();
    f.ok(createPartition("t", 0, [1]));
    expectUnchanged(f, () => expect(f.apply(createPartition("t", 0, [2]))).toMatchObject({ ok: false, error: { code: "conflict" } }));
  });

  const broken: [string, Parameters<typeof createPartition>[3] & { replicas?: number[] }, string][] = [
    ["unregistered replica", { replicas: [1, 9], ISR: [1] }, "replica broker 9 is not registered"],
    ["duplicate replica", { replicas: [1, 1], ISR: [1] }, "replicas lists broker 1 twice"],
    ["empty replicas", { replicas: [], ISR: [], leader: "1" }, "replicas is empty"],
    ["ISR outside replicas", { replicas: [1, 2], ISR: [1, 3] }, "ISR broker 3 is not among the replicas [1,2]"],
    ["duplicate ISR", { replicas: [1, 2], ISR: [1, 1] }, "ISR lists broker 1 twice"],
    ["leader outside ISR", { replicas: [1, 2], ISR: [1], leader: "2" }, 'leader "2" is not in the ISR [1]'],
    ["leader not a number", { replicas: [1], ISR: [1], leader: "one" }, 'leader "one" is not in the ISR [1]'],
    ["adding outside replicas", { replicas: [1], ISR: [1], addingReplicas: [2] }, "addingReplicas broker 2 is not among the replicas [1]"],
  ];
  for (const [what, over, message] of broken) {
    test(`${what} is invalid and writes nothing`, () => {
      const f = ready();
      expectUnchanged(f, () => {
        const r = f.apply(createPartition("t", 0, over.replicas ?? [1], over));
        expect(r).toEqual({ ok: false, error: { code: "invalid", message: `partition 0 of topic "t": ${message}` } });
      });
    });
  }

  test("a CLOSED replica is invalid but a FENCED one is allowed", () => {
    const f = ready();
    f.ok(changeBroker(2, "unregister"));
    f.ok(changeBroker(3, "fence"));
    expect(f.apply(createPartition("t", 0, [1, 2]))).toMatchObject({ ok: false, error: { code: "invalid", message: 'partition 0 of topic "t": replica broker 2 is CLOSED' } });
    f.ok(createPartition("t", 0, [1, 3]));
  });
});
