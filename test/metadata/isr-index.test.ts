// IsrIndex against a model of every partition's ISR: after any sequence of new partitions, ISR
// changes and topic deletions, each broker's partitions and the brokers in any ISR are what the
// model recounts (broker and partition ids up to the largest allowed, so the packing is exercised).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { IsrIndex } from "../../src/metadata/isr-index.ts";
import { MAX_BROKER_ID, MAX_PARTITION_ID } from "../../src/metadata/limits.ts";

const SEED = 0x15;
const BROKERS = [0, 1, 2, 3, MAX_BROKER_ID];
const PARTITION_IDS = [0, 1, 2, 5, MAX_PARTITION_ID - 1, MAX_PARTITION_ID];

type Op = { kind: "set"; topic: number; partitionId: number; isr: number[] } | { kind: "drop"; topic: number };

const isr = fc.uniqueArray(fc.constantFrom(...BROKERS), { maxLength: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("set" as const), topic: fc.nat(3), partitionId: fc.constantFrom(...PARTITION_IDS), isr }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant("drop" as const), topic: fc.nat(3) }), weight: 1 },
);

const key = (topicUUID: string, partitionId: number) => `${topicUUID}/${partitionId}`;

describe("ISR index", () => {
  test("finds each broker's partitions and the brokers in any ISR as a recount of the model does", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.boolean(), (ops, batched) => {
        const index = new IsrIndex();
        const model = new Map<string, Map<number, readonly number[]>>();
        for (const o of ops) {
          const topicUUID = `t${o.topic}`;
          if (o.kind === "drop") {
            index.dropTopic(topicUUID);
            model.delete(topicUUID);
            continue;
          }
          const partitions = model.get(topicUUID) ?? new Map<number, readonly number[]>();
          model.set(topicUUID, partitions);
          const before = partitions.get(o.partitionId);
          // A new partition goes in as a batch of one (what a snapshot load does) or as an update.
          if (before === undefined && batched) index.addPartitions(topicUUID, [{ fields: { partitionId: o.partitionId, ISR: o.isr } }]);
          else index.update(topicUUID, o.partitionId, before ?? [], o.isr);
          partitions.set(o.partitionId, o.isr);
        }
        for (const broker of BROKERS) {
          const expected: string[] = [];
          for (const [topicUUID, partitions] of model) for (const [id, members] of partitions) if (members.includes(broker)) expected.push(key(topicUUID, id));
          const found = index.partitionsOf(broker).map((r) => key(r.topicUUID, r.partitionId));
          expect(found.sort()).toEqual(expected.sort());
        }
        const inAny = BROKERS.filter((b) => [...model.values()].some((ps) => [...ps.values()].some((m) => m.includes(b))));
        expect(index.brokers()).toEqual(inAny);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("a broker's partitions come topic by topic, in the order their memberships came", () => {
    const index = new IsrIndex();
    index.addPartitions("t", [{ fields: { partitionId: 0, ISR: [1, 2] } }, { fields: { partitionId: 1, ISR: [2, 3] } }]);
    index.update("u", 5, [], [2]);
    index.update("t", 3, [], [2]);
    index.update("t", 0, [1, 2], [1]);
    expect(index.partitionsOf(2)).toEqual([
      { topicUUID: "t", partitionId: 1 },
      { topicUUID: "t", partitionId: 3 },
      { topicUUID: "u", partitionId: 5 },
    ]);
    expect(index.partitionsOf(9)).toEqual([]);
    expect(index.brokers()).toEqual([1, 2, 3]);
  });

  test("a broker's partitions come lazily as one run per topic, empty where it is in no ISR", () => {
    const index = new IsrIndex();
    index.addPartitions("t", [{ fields: { partitionId: 0, ISR: [1, 2] } }, { fields: { partitionId: 1, ISR: [2, 3] } }]);
    index.update("u", 5, [], [1]);
    index.update("v", 7, [], [2]);
    const runs = index.partitionRuns(2);
    expect(runs.next().value).toEqual([
      { topicUUID: "t", partitionId: 0 },
      { topicUUID: "t", partitionId: 1 },
    ]);
    expect(runs.next().value).toEqual([]); // topic u was read, and holds none of broker 2's
    // A change after a run was handed out shows in the runs not reached yet.
    index.update("v", 8, [], [2]);
    expect(runs.next().value).toEqual([
      { topicUUID: "v", partitionId: 7 },
      { topicUUID: "v", partitionId: 8 },
    ]);
    expect(runs.next().done).toBe(true);
    expect([...index.partitionRuns(9)]).toEqual([]);
  });

  test("an adopted topic's array is shared until either index changes it, which copies it first", () => {
    const old = new IsrIndex();
    old.addPartitions("t", [{ fields: { partitionId: 0, ISR: [7, 8] } }, { fields: { partitionId: 1, ISR: [8, 9] } }]);
    old.update("u", 0, [], [9]);
    const adopted = new IsrIndex();
    adopted.numberLike(old);
    adopted.adoptTopic("t", old);
    adopted.adoptTopic("absent", old); // a topic the lender has no memberships of adds nothing
    expect(adopted.partitionsOf(8)).toEqual(old.partitionsOf(8));
    expect(adopted.brokers()).toEqual([7, 8, 9]);
    // A change on either side leaves the other's memberships as they were.
    adopted.update("t", 0, [7, 8], [7]);
    expect(adopted.partitionsOf(8)).toEqual([{ topicUUID: "t", partitionId: 1 }]);
    expect(old.partitionsOf(8)).toEqual([{ topicUUID: "t", partitionId: 0 }, { topicUUID: "t", partitionId: 1 }]);
    const again = new IsrIndex();
    again.numberLike(old);
    again.adoptTopic("u", old);
    old.update("u", 0, [9], []);
    old.update("u", 1, [], [7]);
    expect(again.partitionsOf(9)).toEqual([{ topicUUID: "u", partitionId: 0 }]);
    expect(again.partitionsOf(7)).toEqual([]);
    expect(old.partitionsOf(9)).toEqual([{ topicUUID: "t", partitionId: 1 }]);
    expect(old.brokers()).toEqual([7, 8, 9]);
    expect(again.brokers()).toEqual([9]);
  });

  test("adopting needs the lender's numbering of brokers and a topic not held yet", () => {
    const old = new IsrIndex();
    old.addPartitions("t", [{ fields: { partitionId: 0, ISR: [1, 2] } }]);
    const other = new IsrIndex();
    other.update("v", 0, [], [2]);
    expect(() => other.adoptTopic("t", old)).toThrow("numbers brokers otherwise");
    expect(() => other.numberLike(old)).toThrow("renumbering an index that holds 1 brokers");
    const fresh = new IsrIndex();
    fresh.numberLike(old);
    fresh.adoptTopic("t", old);
    expect(() => fresh.adoptTopic("t", old)).toThrow("adopted while held");
  });
});
