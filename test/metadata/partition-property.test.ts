// Property tests of the controller's rules (seeded fast-check): over random sequences of fence,
// unfence, unregister, register, ISR changes, reassignments, cancels, elections, reconcile passes,
// more partitions and topic deletions, every partition keeps a non-empty ISR within its replicas,
// its leader is in the ISR or "-1", and its epochs only rise. After a failover pass over every
// partition, no partition is led by an inactive broker; the image's ISR index and leader counts
// match a recount and a restore from the snapshot.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Command } from "../../src/metadata/commands.ts";
import type { MetadataImage } from "../../src/metadata/image.ts";
import { recordBytes } from "../../src/metadata/record-bytes.ts";
import { ACTIVE_STATUSES, type PartitionRecord } from "../../src/metadata/records.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { Feeder, T0, changeBroker, createTopic, snapshotText, registerBroker } from "./fixtures.ts";

const BROKERS = [1, 2, 3, 4, 5];
const TOPICS = ["a", "b"];
const at = { timestamp: T0 };

type Op =
  | { op: "broker"; brokerId: number; change: "fence" | "heartbeat" | "unregister" | "register" }
  | { op: "isr"; topic: string; partitionId: number; pick: number[]; honest: boolean }
  | { op: "reassign"; topic: string; partitionId: number; replicas: number[] }
  | { op: "cancel" | "elect"; topic: string; partitionId: number }
  | { op: "reconcile"; mode: "failover" | "preferred"; shuttingDown?: number }
  | { op: "grow"; topic: string; count: number }
  | { op: "delete" | "create"; topic: string };

const brokerId = fc.constantFrom(...BROKERS);
const topic = fc.constantFrom(...TOPICS);
const partitionId = fc.integer({ min: 0, max: 3 });
const ids = fc.uniqueArray(brokerId, { minLength: 0, maxLength: 4 });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("broker" as const), brokerId, change: fc.constantFrom("fence" as const, "heartbeat" as const, "unregister" as const, "register" as const) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("isr" as const), topic, partitionId, pick: ids, honest: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("reassign" as const), topic, partitionId, replicas: ids }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("cancel" as const, "elect" as const), topic, partitionId }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("reconcile" as const), mode: fc.constantFrom("failover" as const, "preferred" as const), shuttingDown: fc.option(brokerId, { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("grow" as const), topic, count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("delete" as const, "create" as const), topic }) },
);

let uuids = 0;

/** The command for `o` against the image now (ISR changes usually come from the real leader). */
function commandFor(image: MetadataImage, o: Op): Command {
  switch (o.op) {
    case "broker":
      return o.change === "register" ? registerBroker(o.brokerId, { rackId: `r${o.brokerId % 3}` }) : changeBroker(o.brokerId, o.change);
    case "isr": {
      const p = partitionOf(image, o.topic, o.partitionId);
      const leader = p ? Number(p.fields.leader) : 1;
      const ISR = o.honest && p ? [...new Set([leader, ...o.pick.filter((id) => p.fields.replicas.includes(id))])] : o.pick;
      return { kind: "alterPartition", ...at, topicName: o.topic, partitionId: o.partitionId, brokerId: o.honest ? leader : (o.pick[0] ?? 1), partitionEpoch: o.honest ? (p?.fields.partitionEpoch ?? 0) : 0, ISR };
    }
    case "reassign":
      return { kind: "reassignPartition", ...at, topicName: o.topic, partitionId: o.partitionId, replicas: o.replicas };
    case "cancel":
      return { kind: "cancelReassignment", ...at, topicName: o.topic, partitionId: o.partitionId };
    case "elect":
      return { kind: "electLeader", ...at, topicName: o.topic, partitionId: o.partitionId };
    case "reconcile":
      return { kind: "reconcilePartitions", ...at, mode: o.mode, ...(o.shuttingDown === undefined ? {} : { shuttingDown: [o.shuttingDown] }), partitions: [...image.partitionRefs()] };
    case "grow":
      return { kind: "createPartitions", ...at, topicName: o.topic, count: o.count };
    case "delete":
      return { kind: "deleteTopic", ...at, name: o.topic };
    case "create":
      return createTopic(o.topic, 2, 2, `uuid-${o.topic}-${++uuids}`);
  }
}

function partitionOf(image: MetadataImage, name: string, id: number): PartitionRecord | undefined {
  const t = image.topicByName(name);
  return t && image.partition(t.fields.topicUUID, id);
}

function allPartitions(image: MetadataImage): PartitionRecord[] {
  return image.allTopics().flatMap((t) => image.partitionsOf(t.fields.topicUUID));
}

const keyOf = (p: PartitionRecord) => `${p.fields.topicUUID}/${p.fields.partitionId}`;
const active = (image: MetadataImage, id: number) => {
  const status = image.broker(id)?.fields.brokerStatus;
  return status !== undefined && ACTIVE_STATUSES.includes(status);
};

function checkInvariants(image: MetadataImage, seen: Map<string, PartitionRecord["fields"]>) {
  for (const p of allPartitions(image)) {
    const f = p.fields;
    expect(f.ISR.length).toBeGreaterThan(0);
    expect(f.ISR.every((id) => f.replicas.includes(id))).toBe(true);
    if (f.leader !== "-1") expect(f.ISR).toContain(Number(f.leader));
    const before = seen.get(keyOf(p));
    if (before) {
      expect(f.partitionEpoch).toBeGreaterThanOrEqual(before.partitionEpoch);
      expect(f.leaderEpoch).toBeGreaterThanOrEqual(before.leaderEpoch);
      if (f.leader !== before.leader) expect(f.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
      if (f.partitionEpoch === before.partitionEpoch) expect(f).toEqual(before);
    }
    seen.set(keyOf(p), f);
  }
}

describe("property: partition invariants under the controller's rules", () => {
  test("ISR never empty, leader in the ISR or -1, epochs only rise; a failover pass leaves no inactive leader", () => {
    const counts = { accepted: 0, rejected: 0, changes: 0 };
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 80 }), (ops) => {
        const f = new Feeder();
        for (const id of BROKERS) f.ok(registerBroker(id, { rackId: `r${id % 3}` }));
        for (const name of TOPICS) f.ok(createTopic(name, 3, 3, `uuid-${name}-${++uuids}`));
        const seen = new Map<string, PartitionRecord["fields"]>();
        for (const o of ops) {
          const result = f.apply(commandFor(f.sm.image(), o));
          counts[result.ok ? "accepted" : "rejected"]++;
          if (result.ok) counts.changes += result.records.filter((r) => r.name === "PartitionRecord").length;
          else expect(result.error.code).not.toBe("internal");
          checkInvariants(f.sm.image(), seen);
        }
        f.ok(commandFor(f.sm.image(), { op: "reconcile", mode: "failover" }));
        checkInvariants(f.sm.image(), seen);
        for (const p of allPartitions(f.sm.image())) {
          if (p.fields.leader !== "-1") expect(active(f.sm.image(), Number(p.fields.leader))).toBe(true);
          if (p.fields.ISR.length > 1) expect(p.fields.ISR.every((id) => active(f.sm.image(), id))).toBe(true);
        }
        // The ISR index and leader counts kept change by change equal those recounted from the
        // partitions, and those of an image restored from the snapshot.
        const restored = new MetadataStateMachine();
        restored.restore(f.sm.appliedIndex(), f.sm.snapshot());
        expect(snapshotText(restored.snapshot())).toBe(snapshotText(f.sm.snapshot()));
        for (const id of BROKERS) {
          const recounted = allPartitions(f.sm.image()).filter((p) => p.fields.ISR.includes(id)).map(keyOf).sort();
          for (const image of [f.sm.image(), restored.image()]) {
            expect(image.isrPartitionsOf(id).map((r) => `${r.topicUUID}/${r.partitionId}`).sort()).toEqual(recounted);
            expect(image.leaderCount(id)).toBe(allPartitions(f.sm.image()).filter((p) => p.fields.leader === String(id)).length);
          }
        }
      }),
      { seed: 20261206, numRuns: 200 },
    );
    // The generator must reach both paths and real partition changes, or the checks prove little.
    expect(counts.accepted).toBeGreaterThan(counts.rejected / 5);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.changes).toBeGreaterThan(1000);
  });

  test("the diff history's own bytes weigh exactly the records it holds that the image does not, within both bounds", () => {
    const bounds = { historyRecords: 80, historyOwnBytes: 6_000 };
    const seen = { weighed: 0, overBytes: 0 };
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 80 }), (ops) => {
        const f = new Feeder(new MetadataStateMachine(bounds));
        for (const id of BROKERS) f.ok(registerBroker(id, { rackId: `r${id % 3}` }));
        for (const name of TOPICS) f.ok(createTopic(name, 3, 3, `uuid-${name}-${++uuids}`));
        for (const o of ops) {
          const history = f.sm.history;
          const floorBefore = history.floor;
          const ownBefore = history.ownBytes;
          f.apply(commandFor(f.sm.image(), o));
          const held = history.after(history.floor);
          const image = f.sm.image();
          const own = held.reduce((sum, r) => sum + (image.holds(r) ? 0 : recordBytes(r)), 0);
          expect(history.ownBytes).toBe(own);
          // Over a bound only while the newest entry alone is held.
          if (history.size > bounds.historyRecords || own > bounds.historyOwnBytes) expect(new Set(held.map((r) => r.offset)).size).toBe(1);
          if (own > 0) seen.weighed++;
          if (history.floor > floorBefore && ownBefore > 0 && history.size <= bounds.historyRecords) seen.overBytes++;
        }
      }),
      { seed: 20261207, numRuns: 150 },
    );
    // Records must come to weigh, and the bytes bound (not only the count) must drop some.
    expect(seen.weighed).toBeGreaterThan(500);
    expect(seen.overBytes).toBeGreaterThan(20);
  });
});
