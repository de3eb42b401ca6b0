// The fast paths of a topic create: the leader's early check decides like the apply without
// placing partitions, and the image commits a run of one topic's partitions at once while keeping
// its counts and ISR index what record-by-record commits give.
import { describe, expect, test } from "bun:test";
import { accepted } from "../../src/metadata/apply-result.ts";
import type { Command } from "../../src/metadata/commands.ts";
import { MetadataImage } from "../../src/metadata/image.ts";
import type { MetadataRecord, PartitionRecord } from "../../src/metadata/records.ts";
import { Feeder, T0, changeBroker, createTopic, expectUnchanged, registerBroker } from "./fixtures.ts";

function cluster(): Feeder {
  const f = new Feeder();
  for (let id = 1; id <= 6; id++) f.ok(registerBroker(id, { rackId: `r${id % 3}` }));
  f.ok(changeBroker(6, "unregister"));
  return f;
}

const morePartitions = (topicName: string, count: number, replicationFactor?: number): Command => ({
  kind: "createPartitions",
  timestamp: T0,
  topicName,
  count,
  ...(replicationFactor === undefined ? {} : { replicationFactor }),
});

describe("the early check of a create", () => {
  const cases: [string, (f: Feeder) => Command][] = [
    ["a placed topic", () => createTopic("ok", 12, 3)],
    ["a topic without partitions", () => createTopic("bare")],
    ["more replicas than active brokers", () => createTopic("wide", 4, 6)],
    ["a replication factor below 1", () => createTopic("narrow", 4, 0)],
    ["a name taken", (f) => (f.ok(createTopic("taken", 1, 1)), createTopic("taken", 2, 2))],
    ["more partitions of a topic", (f) => (f.ok(createTopic("grow", 3, 2)), morePartitions("grow", 5))],
    ["more partitions than brokers allow", (f) => (f.ok(createTopic("grow2", 3, 2)), morePartitions("grow2", 5, 9))],
    ["more partitions of no topic", () => morePartitions("none", 5)],
  ];
  for (const [name, make] of cases) {
    test(`gives the apply's verdict and changes nothing: ${name}`, () => {
      const f = cluster();
      const command = make(f);
      let verdict: ReturnType<typeof f.sm.check> | undefined;
      const applied = f.sm.appliedIndex();
      const before = JSON.stringify(f.sm.image().body());
      verdict = f.sm.check(command);
      expect(JSON.stringify(f.sm.image().body())).toBe(before);
      expect(f.sm.appliedIndex()).toBe(applied);
      const result = f.apply(command);
      expect(verdict.ok).toBe(result.ok);
      if (!verdict.ok && !result.ok) expect(verdict.error).toEqual(result.error);
    });
  }

  test("an accepted create's apply places every partition (the check builds none)", () => {
    const f = cluster();
    expect(f.sm.check(createTopic("t", 10, 3))).toMatchObject({ ok: true });
    const result = f.ok(createTopic("t", 10, 3));
    expect(result.records.filter((r) => r.name === "PartitionRecord")).toHaveLength(10);
  });

  test("a rejected create in the log leaves the image unchanged", () => {
    const f = cluster();
    expectUnchanged(f, () => expect(f.apply(createTopic("wide", 4, 6)).ok).toBe(false));
  });
});

function partition(topicUUID: string, partitionId: number, replicas: number[], isr = replicas, partitionEpoch = 0): PartitionRecord {
  return {
    type: "metadata",
    name: "PartitionRecord",
    offset: 1,
    timestamp: T0,
    fields: { partitionId, topicUUID, replicas, ISR: isr, removingReplicas: [], addingReplicas: [], leader: String(isr[0]), partitionEpoch, leaderEpoch: 0 },
  };
}

/** The image's counts and ISR index against what its partitions say (brute force). */
function expectConsistent(image: MetadataImage, topics: string[]): void {
  const all = topics.flatMap((t) => image.partitionsOf(t));
  expect(image.partitionCount()).toBe(all.length);
  for (let broker = 1; broker <= 6; broker++) {
    const inIsr = all.filter((p) => p.fields.ISR.includes(broker)).map((p) => `${p.fields.topicUUID}/${p.fields.partitionId}`);
    expect(image.isrPartitionsOf(broker).map((r) => `${r.topicUUID}/${r.partitionId}`).sort()).toEqual(inIsr.sort());
    expect(image.leaderCount(broker)).toBe(all.filter((p) => p.fields.leader === String(broker)).length);
  }
}

describe("committing runs of partitions", () => {
  test("new and changed partitions of one topic in one commit keep counts and the ISR index exact", () => {
    const image = new MetadataImage();
    const topic: MetadataRecord = { type: "metadata", name: "TopicRecord", offset: 1, timestamp: T0, fields: { topicUUID: "a", name: "a" } };
    const records: MetadataRecord[] = [
      topic,
      partition("a", 0, [1, 2, 3]),
      partition("a", 1, [2, 3, 4]),
      // p0 changes within the same run: it must see p0's memberships indexed already.
      partition("a", 0, [1, 2, 3], [2, 3], 1),
      partition("a", 2, [4, 5, 6]),
      partition("a", 1, [2, 3, 4], [4], 1),
    ];
    image.commit((accepted(records) as { records: MetadataRecord[] }).records);
    expectConsistent(image, ["a"]);
    expect(image.partitionsOf("a").map((p) => [p.fields.partitionId, p.fields.ISR])).toEqual([
      [0, [2, 3]],
      [1, [4]],
      [2, [4, 5, 6]],
    ]);
  });

  test("runs of several topics, interleaved with other records, match record-by-record commits", () => {
    const batched = new MetadataImage();
    const single = new MetadataImage();
    const records: MetadataRecord[] = [];
    for (const t of ["x", "y"]) records.push({ type: "metadata", name: "TopicRecord", offset: 1, timestamp: T0, fields: { topicUUID: t, name: t } });
    records.push(partition("x", 0, [1, 2]), partition("x", 1, [2, 3]), partition("y", 0, [3, 4]), partition("x", 2, [5, 6]), partition("y", 1, [1, 6]), partition("y", 0, [3, 4], [4], 1));
    const frozen = (accepted(records) as { records: MetadataRecord[] }).records;
    batched.commit(frozen);
    for (const record of frozen) single.commit([record]);
    expectConsistent(batched, ["x", "y"]);
    expect(JSON.stringify(batched.body())).toBe(JSON.stringify(single.body()));
    for (let broker = 1; broker <= 6; broker++) expect(batched.isrPartitionsOf(broker).length).toBe(single.isrPartitionsOf(broker).length);
  });
});
