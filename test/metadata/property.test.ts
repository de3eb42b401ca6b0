// Random command streams (small id/name domains, so most collide with something) fed to two
// state machines: identical results and byte-identical snapshots; a third restored half-way from a
// snapshot ends identical too; apply never throws, and random bytes never change the image.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { T0, snapshotText } from "./fixtures.ts";

const brokerId = fc.integer({ min: 0, max: 5 });
const ids = fc.array(brokerId, { maxLength: 4 });
const topicName = fc.constantFrom("a", "b", "a.b", "a_b", "", "..", "x y");

const command: fc.Arbitrary<Command> = fc
  .oneof(
  fc.record({ kind: fc.constant("registerBroker" as const), timestamp: fc.constant(T0), internalUUID: fc.uuid(), brokerId, brokerHost: fc.constantFrom("h1", "h2"), brokerPort: fc.constant("9092"), securityProtocol: fc.constant("PLAINTEXT"), rackId: fc.constantFrom("r1", "r2", "") }),
  fc.record({ kind: fc.constant("changeBroker" as const), timestamp: fc.constant(T0), brokerId, change: fc.constantFrom("update" as const, "unregister" as const, "heartbeat" as const, "fence" as const), brokerHost: fc.constantFrom("h3", "h4") }),
  fc.record({ kind: fc.constant("createTopic" as const), timestamp: fc.constant(T0), topicUUID: fc.uuid(), name: topicName, partitions: fc.integer({ min: 0, max: 4 }), replicationFactor: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant("createPartition" as const), timestamp: fc.constant(T0), topicName, partitionId: fc.integer({ min: 0, max: 3 }), replicas: ids, ISR: ids, leader: fc.constantFrom("0", "1", "2", "x"), removingReplicas: fc.constant([]), addingReplicas: fc.constant([]) }),
  fc.record({ kind: fc.constant("registerProducer" as const), timestamp: fc.constant(T0), brokerId, producerId: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }) }, { requiredKeys: ["kind", "timestamp", "brokerId"] }),
  fc.record({ kind: fc.constant("alterPartition" as const), timestamp: fc.constant(T0), topicName, partitionId: fc.integer({ min: 0, max: 3 }), brokerId, partitionEpoch: fc.integer({ min: 0, max: 2 }), ISR: ids }),
  fc.record({ kind: fc.constant("reassignPartition" as const), timestamp: fc.constant(T0), topicName, partitionId: fc.integer({ min: 0, max: 3 }), replicas: ids }),
  fc.record({ kind: fc.constantFrom("cancelReassignment" as const, "electLeader" as const), timestamp: fc.constant(T0), topicName, partitionId: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant("createPartitions" as const), timestamp: fc.constant(T0), topicName, count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("deleteTopic" as const), timestamp: fc.constant(T0), name: topicName }),
  )
  .map((c) => c as Command);

/** Some entries are raw bytes: garbage must be harmless. */
const entry = fc.oneof({ weight: 9, arbitrary: command.map((c) => encodeCommand(c)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) });

describe("property: determinism", () => {
  test("two machines fed the same entries agree on every result and on their snapshot bytes", () => {
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), fc.nat(), (entries, cutSeed) => {
        const a = new MetadataStateMachine();
        const b = new MetadataStateMachine();
        const cut = entries.length === 0 ? 0 : cutSeed % entries.length;
        let restored: MetadataStateMachine | null = null;
        entries.forEach((data, i) => {
          const index = i + 1;
          const ra = a.apply(index, data);
          expect(b.apply(index, data)).toEqual(ra);
          if (i === cut) {
            restored = new MetadataStateMachine();
            restored.restore(index, a.snapshot());
          } else if (restored) {
            expect((restored as MetadataStateMachine).apply(index, data)).toEqual(ra);
          }
          outcomes[ra.ok ? "accepted" : "rejected"]++;
          if (!ra.ok) expect(ra.error.code).not.toBe("internal");
        });
        const snap = snapshotText(a.snapshot());
        expect(snapshotText(b.snapshot())).toBe(snap);
        if (restored) expect(snapshotText((restored as MetadataStateMachine).snapshot())).toBe(snap);
      }),
      { seed: 20261124, numRuns: 300 },
    );
    // The generator must exercise both paths, or the comparison proves little.
    expect(outcomes.accepted).toBeGreaterThan(outcomes.rejected / 10);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  test("a rejected entry leaves the image byte-identical", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (entries) => {
        const sm = new MetadataStateMachine();
        entries.forEach((data, i) => {
          const before = JSON.parse(snapshotText(sm.snapshot()));
          const historyBefore = sm.history.size;
          const r = sm.apply(i + 1, data);
          if (r.ok) return;
          expect({ ...JSON.parse(snapshotText(sm.snapshot())), appliedIndex: 0 }).toEqual({ ...before, appliedIndex: 0 });
          expect(sm.history.size).toBe(historyBefore);
        });
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
