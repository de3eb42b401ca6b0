// The controller when this node becomes leader: it finishes the failovers its predecessor left
// undone (a broker fenced or closed whose partitions still list it, a leaderless partition whose ISR
// member serves again) and checks nothing else. Checked against a full pass over every partition
// (what a takeover used to do) on seeded random images, and by which passes each takeover ran.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MetadataImage } from "../../src/metadata/image.ts";
import type { PartitionRef } from "../../src/metadata/isr-index.ts";
import { PartitionController, type ReconcileBatch } from "../../src/metadata/partition-controller.ts";
import { planReconcilePartitions } from "../../src/metadata/partition-rules.ts";
import { type BrokerStatus, NO_LEADER, type PartitionRecord } from "../../src/metadata/records.ts";
import { T0 } from "./fixtures.ts";

interface PartitionShape {
  replicas: number[];
  ISR: number[];
  leader: string;
}

const TOPIC = "uuid-topic-t";

/** Brokers 1..statuses.length with those statuses. */
function brokersOf(statuses: BrokerStatus[]) {
  return statuses.map((brokerStatus, i) => ({
    type: "metadata" as const,
    name: "RegisterBrokerRecord" as const,
    offset: 1,
    timestamp: T0,
    fields: { internalUUID: `b${i + 1}`, brokerId: i + 1, brokerHost: "h", brokerPort: "9092", securityProtocol: "PLAINTEXT", brokerStatus, rackId: "r", epoch: 0 },
  }));
}

function topicRecord(topicUUID: string, name: string) {
  return { type: "metadata" as const, name: "TopicRecord" as const, offset: 2, timestamp: T0, fields: { topicUUID, name } };
}

function partitionRecord(topicUUID: string, partitionId: number, p: PartitionShape): PartitionRecord {
  return {
    type: "metadata",
    name: "PartitionRecord",
    offset: 3,
    timestamp: T0,
    fields: { partitionId, topicUUID, ...p, removingReplicas: [], addingReplicas: [], partitionEpoch: 0, leaderEpoch: 0 },
  };
}

/** An image of brokers 1..statuses.length with those statuses, and topic "t" with these partitions. */
function imageOf(statuses: BrokerStatus[], partitions: PartitionShape[]): MetadataImage {
  const records = partitions.map((p, partitionId) => partitionRecord(TOPIC, partitionId, p));
  return MetadataImage.fromBody({ brokers: brokersOf(statuses), topics: [topicRecord(TOPIC, "t")], partitions: records, producers: [] }, 0);
}

/** Reconcile batches applied straight to `image`, at rising offsets. */
function applier(image: MetadataImage) {
  let offset = 100;
  return async (batch: ReconcileBatch) => {
    const result = planReconcilePartitions(image, { kind: "reconcilePartitions", timestamp: T0, ...batch }, ++offset);
    if (!result.ok) throw new Error(result.error.message);
    image.commit(result.records);
    return { offset, changed: result.records.length };
  };
}

/** A controller over `image` that becomes leader; the partition passes it ran, by what they read. */
async function takeOver(image: MetadataImage): Promise<string[]> {
  const passes: string[] = [];
  const watched = new Proxy(image, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (key === "isrPartitionRuns" || key === "leaderlessPartitionRuns") {
        return (...args: number[]) => {
          passes.push(`${key}(${args.join()})`);
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  const controller = new PartitionController({ image: () => watched, propose: applier(image), yieldToLoop: () => Promise.resolve() });
  controller.start();
  await controller.settled();
  return passes;
}

const fieldsOf = (image: MetadataImage) => image.partitionsOf(TOPIC).map((p) => p.fields);

/** What a full failover pass over every partition makes of `image` (a takeover's old way). */
function fullPass(image: MetadataImage): MetadataImage {
  const partitions: PartitionRef[] = [...image.partitionRefs()];
  const result = planReconcilePartitions(image, { kind: "reconcilePartitions", timestamp: T0, mode: "failover", partitions }, 100);
  if (!result.ok) throw new Error(result.error.message);
  image.commit(result.records);
  return image;
}

/** The leaderless partitions by reading every one, as refs. */
function leaderlessByScan(image: MetadataImage): PartitionRef[] {
  return image.partitionsOf(TOPIC).filter((p) => p.fields.leader === NO_LEADER).map((p) => ({ topicUUID: TOPIC, partitionId: p.fields.partitionId }));
}

describe("controller: taking over", () => {
  test("with every broker serving and every partition led, a takeover checks no partition", async () => {
    const image = imageOf(["ALIVE", "UNFENCED", "INIT"], [
      { replicas: [1, 2, 3], ISR: [1, 2, 3], leader: "1" },
      { replicas: [2, 3, 1], ISR: [2, 3], leader: "3" },
    ]);
    const before = fieldsOf(image);
    expect(await takeOver(image)).toEqual([]);
    expect(fieldsOf(image)).toEqual(before);
  });

  test("a fenced broker its predecessor did not fail over: only its partitions are checked, and they move", async () => {
    const image = imageOf(["ALIVE", "FENCED", "ALIVE"], [
      { replicas: [2, 1, 3], ISR: [2, 1, 3], leader: "2" },
      { replicas: [1, 3, 2], ISR: [1, 3], leader: "1" },
    ]);
    expect(await takeOver(image)).toEqual(["isrPartitionRuns(2)"]);
    expect(fieldsOf(image).map((f) => [f.ISR, f.leader, f.leaderEpoch])).toEqual([
      [[1, 3], "1", 1],
      [[1, 3], "1", 0],
    ]);
  });

  test("a leaderless partition whose ISR member serves again gets it as leader; a still-leaderless one stays", async () => {
    const image = imageOf(["ALIVE", "CLOSED", "ALIVE"], [
      { replicas: [1, 3], ISR: [3], leader: NO_LEADER },
      { replicas: [2, 1], ISR: [2], leader: NO_LEADER },
    ]);
    expect(image.leaderlessCount()).toBe(2);
    expect(await takeOver(image)).toEqual(["isrPartitionRuns(2)", "leaderlessPartitionRuns()"]);
    expect(fieldsOf(image).map((f) => [f.ISR, f.leader])).toEqual([
      [[3], "3"],
      [[2], NO_LEADER],
    ]);
    expect(image.leaderlessCount()).toBe(1);
    expect([...image.leaderlessPartitionRuns()].flat()).toEqual([{ topicUUID: TOPIC, partitionId: 1 }]);
  });

  test("a deleted topic's leaderless partitions leave the count", () => {
    const image = imageOf(["FENCED"], [{ replicas: [1], ISR: [1], leader: NO_LEADER }]);
    expect(image.leaderlessCount()).toBe(1);
    image.commit([{ type: "metadata", name: "RemoveTopicRecord", offset: 9, timestamp: T0, fields: { topicUUID: TOPIC, name: "t" } }]);
    expect(image.leaderlessCount()).toBe(0);
    expect([...image.leaderlessPartitionRuns()].flat()).toEqual([]);
  });

  test("a pass that finds few partitions among many topics still yields to the loop between slices of topics read", async () => {
    const topics = 4_100;
    const uuids = Array.from({ length: topics }, (_, i) => `uuid-${i}`);
    // Broker 3 is in the last topic's ISR only.
    const shape = (i: number): PartitionShape => (i === topics - 1 ? { replicas: [3, 1], ISR: [3, 1], leader: "3" } : { replicas: [1, 2], ISR: [1, 2], leader: "1" });
    const image = MetadataImage.fromBody(
      {
        brokers: brokersOf(["ALIVE", "ALIVE", "ALIVE"]),
        topics: uuids.map((topicUUID, i) => topicRecord(topicUUID, `t${i}`)),
        partitions: uuids.map((topicUUID, i) => partitionRecord(topicUUID, 0, shape(i))),
        producers: [],
      },
      0,
    );
    let yields = 0;
    const controller = new PartitionController({
      image: () => image,
      propose: applier(image),
      yieldToLoop: () => {
        yields++;
        return Promise.resolve();
      },
    });
    controller.start();
    await controller.settled();
    yields = 0;
    const outcome = await controller.controlledShutdown(3);
    expect(outcome.changed).toBe(1);
    expect(image.partition(uuids[topics - 1], 0)?.fields).toMatchObject({ leader: "1", ISR: [1] });
    expect(yields).toBeGreaterThanOrEqual(2); // 4,100 topics read, in slices of at most 2,000
  });

  test("on seeded random images a takeover leaves the same partitions as a full pass over every one", async () => {
    const status = fc.constantFrom<BrokerStatus>("INIT", "ALIVE", "UNFENCED", "FENCED", "CLOSED");
    const partition = fc
      .tuple(fc.shuffledSubarray([1, 2, 3, 4, 5], { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.boolean())
      .map(([replicas, isrSeed, leaderSeed, led]): PartitionShape => {
        const ISR = replicas.filter((_, i) => i === isrSeed % replicas.length || ((isrSeed >> i) & 1) === 1);
        return { replicas, ISR, leader: led ? String(ISR[leaderSeed % ISR.length]) : NO_LEADER };
      });
    await fc.assert(
      fc.asyncProperty(fc.array(status, { minLength: 5, maxLength: 5 }), fc.array(partition, { maxLength: 40 }), async (statuses, partitions) => {
        const image = imageOf(statuses, partitions);
        expect([...image.leaderlessPartitionRuns()].flat()).toEqual(leaderlessByScan(image));
        await takeOver(image);
        expect(fieldsOf(image)).toEqual(fieldsOf(fullPass(imageOf(statuses, partitions))));
        // The leaderless index followed the takeover's commits.
        expect([...image.leaderlessPartitionRuns()].flat()).toEqual(leaderlessByScan(image));
        expect(image.leaderlessCount()).toBe(leaderlessByScan(image).length);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
