// The state machine's rules for partition changes: AlterPartition, reassignment, preferred
// election of one partition, reconcile batches, more partitions, topic deletion and leader epochs
// in old snapshots. Each rejection leaves the image untouched.
import { describe, expect, test } from "bun:test";
import type { ApplyErrorCode } from "../../src/metadata/apply-result.ts";
import type { Command } from "../../src/metadata/commands.ts";
import { MAX_PARTITIONS_PER_CHANGE } from "../../src/metadata/limits.ts";
import { placePartitions } from "../../src/metadata/placement.ts";
import type { PartitionRecord } from "../../src/metadata/records.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { Feeder, T0, changeBroker, createPartition, createTopic, snapshotText, expectUnchanged, registerBroker } from "./fixtures.ts";

const at = { timestamp: T0 };

/** Brokers 1-5 registered; topic "t" with partition 0 on replicas [1,2,3] led by 1. */
function setup(): Feeder {
  const f = new Feeder();
  for (const id of [1, 2, 3, 4, 5]) f.ok(registerBroker(id));
  f.ok(createTopic("t"));
  f.ok(createPartition("t", 0, [1, 2, 3]));
  return f;
}

const p0 = (f: Feeder): PartitionRecord["fields"] => f.sm.image().partition("uuid-topic-t", 0)!.fields;
const alter = (brokerId: number, partitionEpoch: number, ISR: number[]): Command => ({ kind: "alterPartition", ...at, topicName: "t", partitionId: 0, brokerId, partitionEpoch, ISR });
const reassign = (replicas: number[]): Command => ({ kind: "reassignPartition", ...at, topicName: "t", partitionId: 0, replicas });
const cancel: Command = { kind: "cancelReassignment", ...at, topicName: "t", partitionId: 0 };
const elect: Command = { kind: "electLeader", ...at, topicName: "t", partitionId: 0 };

function rejectedWith(f: Feeder, command: Command, code: ApplyErrorCode, message: RegExp) {
  expectUnchanged(f, () => {
    const result = f.apply(command);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message).toMatch(message);
    }
  });
}

describe("AlterPartition", () => {
  test("the leader shrinks and expands the ISR at the current epoch; the leader epoch stays", () => {
    const f = setup();
    f.ok(alter(1, 0, [1, 2]));
    expect(p0(f)).toMatchObject({ ISR: [1, 2], leader: "1", partitionEpoch: 1, leaderEpoch: 0 });
    f.ok(alter(1, 1, [1, 2, 3]));
    expect(p0(f)).toMatchObject({ ISR: [1, 2, 3], partitionEpoch: 2, leaderEpoch: 0 });
  });

  test("a stale epoch, a caller that is not the leader, and a bad ISR are refused", () => {
    const f = setup();
    rejectedWith(f, alter(1, 5, [1]), "stale_partition_epoch", /at partition epoch 0, not 5/);
    rejectedWith(f, alter(2, 0, [2]), "not_partition_leader", /broker 2 is not the leader.*the leader is 1/);
    rejectedWith(f, alter(1, 0, [1, 4]), "invalid", /ISR broker 4 is not among the replicas \[1,2,3\]/);
    rejectedWith(f, alter(1, 0, [2, 3]), "invalid", /does not hold the leader 1/);
    rejectedWith(f, alter(1, 0, [1, 1]), "invalid", /lists a broker twice/);
    f.ok(changeBroker(3, "fence"));
    rejectedWith(f, alter(1, 0, [1, 3]), "invalid", /ISR broker 3 is FENCED, not active/);
    rejectedWith(f, { ...alter(1, 0, [1]), topicName: "nope" } as Command, "not_found", /topic "nope" does not exist/);
    rejectedWith(f, { ...alter(1, 0, [1]), partitionId: 9 } as Command, "not_found", /partition 9 of topic "t" does not exist/);
  });
});

describe("reassignment", () => {
  test("start sets adding/removing; the ISR catching up completes it and moves a removed leader", () => {
    const f = setup();
    f.ok(reassign([2, 3, 4]));
    expect(p0(f)).toMatchObject({ replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1], ISR: [1, 2, 3], leader: "1", partitionEpoch: 1 });
    rejectedWith(f, reassign([5]), "conflict", /is being reassigned.*cancel it first/);
    f.ok(alter(1, 1, [1, 2, 3, 4]));
    expect(p0(f)).toMatchObject({ replicas: [2, 3, 4], ISR: [2, 3, 4], addingReplicas: [], removingReplicas: [], leader: "2", partitionEpoch: 2, leaderEpoch: 1 });
  });

  test("a reorder, or removals only, complete at once", () => {
    const f = setup();
    f.ok(reassign([3, 2, 1]));
    expect(p0(f)).toMatchObject({ replicas: [3, 2, 1], addingReplicas: [], removingReplicas: [], leader: "1", partitionEpoch: 1 });
    f.ok(reassign([2, 3]));
    expect(p0(f)).toMatchObject({ replicas: [2, 3], ISR: [2, 3], leader: "2", partitionEpoch: 2, leaderEpoch: 1 });
  });

  test("the same target writes nothing, and answers the partition as it stands", () => {
    const f = setup();
    const current = f.sm.image().partition("uuid-topic-t", 0);
    expectUnchanged(f, () => expect(f.ok(reassign([1, 2, 3])).records).toEqual([current!]));
    expect(p0(f).partitionEpoch).toBe(0);
  });

  test("cancel reverts to the original replicas and drops the adding ones from the ISR", () => {
    const f = setup();
    f.ok(reassign([4, 5, 1]));
    f.ok(alter(1, 1, [1, 2, 3, 4]));
    expect(p0(f)).toMatchObject({ replicas: [4, 5, 1, 2, 3], addingReplicas: [4, 5], removingReplicas: [2, 3] });
    f.ok(cancel);
    expect(p0(f)).toMatchObject({ replicas: [1, 2, 3], ISR: [1, 2, 3], addingReplicas: [], removingReplicas: [], leader: "1", partitionEpoch: 3 });
    rejectedWith(f, cancel, "conflict", /has no reassignment in progress/);
  });

  test("bad targets are refused", () => {
    const f = setup();
    rejectedWith(f, reassign([]), "invalid", /replicas is empty/);
    rejectedWith(f, reassign([2, 2]), "invalid", /lists a broker twice/);
    rejectedWith(f, reassign([9]), "invalid", /replica broker 9 is not registered/);
    f.ok(changeBroker(5, "unregister"));
    rejectedWith(f, reassign([5]), "invalid", /replica broker 5 is CLOSED/);
  });
});

describe("preferred leader election of one partition", () => {
  test("the first replica leads again when in the ISR and active; already so writes nothing", () => {
    const f = setup();
    f.ok(reassign([3, 2, 1]));
    f.ok(elect);
    expect(p0(f)).toMatchObject({ leader: "3", leaderEpoch: 1, partitionEpoch: 2 });
    // Already so: nothing is written, and the answer is the partition as it stands.
    const current = f.sm.image().partition("uuid-topic-t", 0);
    expectUnchanged(f, () => expect(f.ok(elect).records).toEqual([current!]));
  });

  test("a first replica out of the ISR or fenced cannot be elected", () => {
    const f = setup();
    f.ok(alter(1, 0, [1, 2]));
    f.ok(reassign([3, 1, 2]));
    rejectedWith(f, elect, "conflict", /preferred replica 3 is not in the ISR \[1,2\]/);
    f.ok(alter(1, 2, [1, 2, 3]));
    f.ok(changeBroker(3, "fence"));
    rejectedWith(f, elect, "conflict", /preferred replica 3 is FENCED, not active/);
  });
});

describe("reconcile batches", () => {
  test("a fenced leader is replaced in replica order; partitions named twice or gone are skipped", () => {
    const f = setup();
    f.ok(changeBroker(1, "fence"));
    const ref = { topicUUID: "uuid-topic-t", partitionId: 0 };
    const result = f.ok({ kind: "reconcilePartitions", ...at, mode: "failover", partitions: [ref, ref, { topicUUID: "gone", partitionId: 3 }] });
    expect(result.records).toHaveLength(1);
    expect(p0(f)).toMatchObject({ leader: "2", ISR: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    expect(f.ok({ kind: "reconcilePartitions", ...at, mode: "failover", partitions: [ref] }).records).toEqual([]);
  });

  test("shuttingDown treats an active broker as ineligible for that entry", () => {
    const f = setup();
    f.ok({ kind: "reconcilePartitions", ...at, mode: "failover", shuttingDown: [1], partitions: [{ topicUUID: "uuid-topic-t", partitionId: 0 }] });
    expect(p0(f)).toMatchObject({ leader: "2", ISR: [2, 3] });
  });

  test(`a batch over ${MAX_PARTITIONS_PER_CHANGE} partitions is not a valid entry`, () => {
    const f = setup();
    const partitions = Array.from({ length: MAX_PARTITIONS_PER_CHANGE + 1 }, (_, i) => ({ topicUUID: "uuid-topic-t", partitionId: i }));
    rejectedWith(f, { kind: "reconcilePartitions", ...at, mode: "failover", partitions }, "bad_request", /partitions/);
  });
});

describe("more partitions", () => {
  test("count partitions continue the ids and the topic's own placement and replication factor", () => {
    const f = new Feeder();
    for (const id of [1, 2, 3, 4]) f.ok(registerBroker(id, { rackId: `r${id % 2}` }));
    f.ok(createTopic("t", 3, 2));
    const added = f.ok({ kind: "createPartitions", ...at, topicName: "t", count: 4 }).records as PartitionRecord[];
    const brokers = [1, 2, 3, 4].map((id) => ({ brokerId: id, rackId: `r${id % 2}` }));
    const expected = placePartitions(brokers, 7, 2, "uuid-topic-t").slice(3);
    expect(added.map((p) => [p.fields.partitionId, p.fields.replicas])).toEqual(expected.map((p) => [p.partitionId, p.replicas]));
    expect(added.every((p) => p.fields.leaderEpoch === 0 && p.fields.partitionEpoch === 0)).toBe(true);
    expect(f.sm.image().partitionCount()).toBe(7);
  });

  test("unknown topics and impossible placements are refused", () => {
    const f = setup();
    rejectedWith(f, { kind: "createPartitions", ...at, topicName: "x", count: 1 }, "not_found", /topic "x" does not exist/);
    f.ok(createTopic("empty"));
    rejectedWith(f, { kind: "createPartitions", ...at, topicName: "empty", count: 1, replicationFactor: 6 }, "invalid", /replicationFactor 6 exceeds the 5 active brokers/);
  });
});

describe("topic deletion", () => {
  test("RemoveTopicRecord removes the topic and its partitions; the name comes back with a new UUID", () => {
    const f = setup();
    const [removed] = f.ok({ kind: "deleteTopic", ...at, name: "t" }).records;
    expect(removed).toMatchObject({ name: "RemoveTopicRecord", fields: { topicUUID: "uuid-topic-t", name: "t" } });
    const image = f.sm.image();
    expect(image.topicByName("t")).toBeUndefined();
    expect(image.partitionsOf("uuid-topic-t")).toEqual([]);
    expect(image.partitionCount()).toBe(0);
    expect(image.isrPartitionsOf(1)).toEqual([]);
    rejectedWith(f, { kind: "deleteTopic", ...at, name: "t" }, "not_found", /topic "t" does not exist/);
    f.ok(createTopic("t", 0, 0, "uuid-second"));
    expect(f.sm.image().topicByName("t")?.fields.topicUUID).toBe("uuid-second");
  });

  test("a snapshot begun before the deletion still holds the topic; one after does not", () => {
    const f = setup();
    const encoding = f.sm.beginSnapshot();
    f.ok({ kind: "deleteTopic", ...at, name: "t" });
    const before = JSON.parse(snapshotText(encoding.step(Number.MAX_SAFE_INTEGER)!));
    expect(before.partitions).toHaveLength(1);
    const after = JSON.parse(snapshotText(f.sm.snapshot()));
    expect(after.topics).toEqual([]);
    expect(after.partitions).toEqual([]);
  });
});

describe("leader epochs in snapshots", () => {
  test("a snapshot written before leaderEpoch existed loads with leader epoch 0 and keeps working", () => {
    const f = setup();
    const doc = JSON.parse(snapshotText(f.sm.snapshot()));
    for (const p of doc.partitions) delete p.fields.leaderEpoch;
    const restored = new MetadataStateMachine();
    restored.restore(f.sm.appliedIndex(), new TextEncoder().encode(JSON.stringify(doc)));
    expect(restored.image().partition("uuid-topic-t", 0)?.fields.leaderEpoch).toBe(0);
    const g = new Feeder(restored);
    g.ok(changeBroker(1, "fence"));
    g.ok({ kind: "reconcilePartitions", ...at, mode: "failover", partitions: [{ topicUUID: "uuid-topic-t", partitionId: 0 }] });
    expect(g.sm.image().partition("uuid-topic-t", 0)?.fields).toMatchObject({ leader: "2", leaderEpoch: 1 });
  });
});
