// record-json.ts writes records as JSON.stringify does, byte for byte: partition records by a
// template (frozen ones only), everything else by JSON.stringify itself.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { freezeRecord } from "../../src/metadata/apply-result.ts";
import { decodeSnapshot } from "../../src/metadata/image-codec.ts";
import { itemJson, recordJson, recordsJson } from "../../src/metadata/record-json.ts";
import type { MetadataRecord, PartitionRecord } from "../../src/metadata/records.ts";
import { T0, Feeder, createPartition, createTopic, registerBroker } from "./fixtures.ts";
import { fed, imageCommand } from "./random-images.ts";

function everyRecord(records: readonly MetadataRecord[]): void {
  for (const record of records) {
    expect(recordJson(record)).toBe(JSON.stringify(record));
    expect(itemJson(record)).toBe(JSON.stringify(record));
  }
  expect(recordsJson(records)).toBe(JSON.stringify(records));
}

describe("record JSON", () => {
  test("every record of random images, their history and their decoded snapshots", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 40 }), (commands) => {
        const sm = fed(commands);
        const body = sm.image().body();
        everyRecord([...body.brokers, ...body.topics, ...body.partitions, ...body.producers]);
        everyRecord(sm.history.after(0));
        const decoded = decodeSnapshot(sm.snapshot());
        if (!decoded.ok) throw new Error(decoded.message);
        everyRecord(decoded.value.image.body().partitions);
      }),
      { seed: 41, numRuns: 150 },
    );
  });

  test("partitions with long, empty, reassigning and leaderless lists, strings that need escaping", () => {
    const f = new Feeder();
    for (let id = 1; id <= 20; id++) f.ok(registerBroker(id, { rackId: `r${id % 4}` }));
    f.ok(createTopic("t", 3, 3, 'uuid "quoted" \\ \u2028'));
    const long = Array.from({ length: 20 }, (_, i) => i + 1);
    f.ok(createPartition("t", 7, long, { ISR: [2, 1], leader: "2", addingReplicas: [3], removingReplicas: [4, 5] }));
    everyRecord(f.sm.image().partitionsOf('uuid "quoted" \\ \u2028'));
    everyRecord(f.sm.history.after(0));
  });

  test("fields in another key order are frozen in the spec's order; unfrozen records go to JSON.stringify", () => {
    const fields = { leaderEpoch: 2, leader: "1", ISR: [1], replicas: [1, 2], partitionId: 4, topicUUID: "u", addingReplicas: [], removingReplicas: [2], partitionEpoch: 3 };
    const loose: PartitionRecord = { type: "metadata", name: "PartitionRecord", offset: 9, timestamp: T0, fields };
    expect(recordJson(loose)).toBe(JSON.stringify(loose));
    const frozen = freezeRecord({ ...loose, fields: { ...fields } });
    expect(Object.keys(frozen.fields)).toEqual(["partitionId", "topicUUID", "replicas", "ISR", "removingReplicas", "addingReplicas", "leader", "partitionEpoch", "leaderEpoch"]);
    expect(recordJson(frozen)).toBe(JSON.stringify(frozen));
    expect(JSON.parse(recordJson(frozen))).toEqual(JSON.parse(JSON.stringify(loose)));
  });

  test("a value that is not a partition record is JSON.stringify's", () => {
    for (const value of [null, 3, "x", [1, 2], { name: "PartitionRecord" }, { name: "TopicRecord", fields: { a: 1 } }]) expect(itemJson(value)).toBe(JSON.stringify(value));
  });
});
