// The binary snapshot format (version 3): what it holds round-trips byte for byte, the JSON
// versions 1 and 2 still load into the same state, and damaged bytes are refused, never thrown.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Command } from "../../src/metadata/commands.ts";
import { decodeSnapshot, encodeSnapshot } from "../../src/metadata/image-codec.ts";
import { MAX_PRODUCER_ID } from "../../src/metadata/limits.ts";
import type { RegisterBrokerRecord } from "../../src/metadata/records.ts";
import { writeBroker, writeHead } from "../../src/metadata/snapshot-format.ts";
import { SnapshotReader } from "../../src/metadata/snapshot-reader.ts";
import { SnapshotWriter } from "../../src/metadata/snapshot-writer.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { Feeder, T0, changeBroker, createPartition, createTopic, registerBroker, registerProducer, snapshotText } from "./fixtures.ts";

const SEED = 0x3b1;
const hash = (n: number) => n.toString(16).padStart(32, "0");
const withId = (command: Command, n: number): Command => ({ ...command, requestId: `k:req-${n}`, requestHash: hash(n) });

/** Brokers on two racks, topics with partitions, a reassignment under way, producers (one at the top id), remembered requests of both kinds. */
function populated(): MetadataStateMachine {
  const f = new Feeder();
  for (const id of [1, 2, 3]) f.ok(registerBroker(id, { rackId: `rack${id % 2}` }));
  f.ok(changeBroker(1, "heartbeat"));
  f.ok(withId(createTopic("orders", 3, 2), 1));
  f.ok(withId(createTopic("events", 2, 3), 2));
  f.ok(createPartition("orders", 9, [3, 1], { ISR: [3], leader: "3", addingReplicas: [1] }));
  f.ok(withId(registerProducer(2), 3));
  f.ok(registerProducer(1, MAX_PRODUCER_ID));
  expect(f.apply(withId(createTopic("orders"), 4)).ok).toBe(false);
  f.ok(changeBroker(2, "fence"));
  return f.sm;
}

function restored(index: number, data: Uint8Array): MetadataStateMachine {
  const sm = new MetadataStateMachine();
  sm.restore(index, data);
  return sm;
}

describe("binary snapshot format", () => {
  test("starts with version byte 3 and 'yakt'; restoring it gives the same bytes and state", () => {
    const sm = populated();
    const bytes = sm.snapshot();
    expect([...bytes.subarray(0, 5)]).toEqual([3, ..."yakt"].map((c) => (typeof c === "number" ? c : c.charCodeAt(0))));
    const copy = restored(sm.appliedIndex(), bytes);
    expect(copy.snapshot()).toEqual(bytes);
    expect(copy.image().body()).toEqual(sm.image().body());
    expect(copy.rememberedRequests()).toEqual(sm.rememberedRequests());
    expect(copy.image().producer(MAX_PRODUCER_ID)?.fields.producerId).toBe(MAX_PRODUCER_ID);
  });

  test("a restored image indexes ISRs and leaders as the replayed one does (the bulk load path)", () => {
    const sm = populated();
    const copy = restored(sm.appliedIndex(), sm.snapshot());
    const key = (r: { topicUUID: string; partitionId: number }) => `${r.topicUUID}/${r.partitionId}`;
    expect(copy.image().brokersInAnyIsr()).toEqual(sm.image().brokersInAnyIsr());
    for (const id of [1, 2, 3, 4]) {
      expect(copy.image().isrPartitionsOf(id).map(key).sort()).toEqual(sm.image().isrPartitionsOf(id).map(key).sort());
      expect(copy.image().leaderCount(id)).toBe(sm.image().leaderCount(id));
    }
    expect(copy.image().partitionCount()).toBe(sm.image().partitionCount());
    expect(sm.image().isrPartitionsOf(3).length).toBeGreaterThan(0);
  });

  test("a JSON version 2 snapshot loads into the same state, requests included (its binary snapshot is identical)", () => {
    const sm = populated();
    const json = encodeSnapshot(sm.image(), sm.appliedIndex(), sm.rememberedInOrder());
    expect(JSON.parse(new TextDecoder().decode(json)).version).toBe(2);
    const copy = restored(sm.appliedIndex(), json);
    expect(copy.snapshot()).toEqual(sm.snapshot());
    // Three accepted requests and one refused: both kinds are remembered.
    expect(copy.rememberedRequests().ids).toBe(4);
  });

  test("a JSON version 1 snapshot loads, with no request remembered", () => {
    const sm = populated();
    const { requests: _none, ...doc } = JSON.parse(snapshotText(sm.snapshot()));
    const copy = restored(sm.appliedIndex(), new TextEncoder().encode(JSON.stringify({ ...doc, version: 1 })));
    expect(copy.image().body()).toEqual(sm.image().body());
    expect(copy.rememberedRequests()).toEqual({ ids: 0, records: 0 });
  });

  test("an unknown version byte is refused by name", () => {
    const bytes = populated().snapshot();
    for (const first of [0, 2, 4, 0xff]) {
      const decoded = decodeSnapshot(Uint8Array.of(first, ...bytes.subarray(1)));
      expect(decoded).toEqual({ ok: false, message: `snapshot version byte ${first} is not supported (expected 3, or a JSON snapshot of version 1 or 2)` });
    }
    expect(decodeSnapshot(Uint8Array.of(3, 0x79, 0x61, 0x6b, 0x00))).toMatchObject({ ok: false, message: "snapshot is malformed: not a version 3 snapshot (at byte 5)" });
  });

  test("every truncation and trailing bytes are refused", () => {
    const bytes = populated().snapshot();
    for (let end = 1; end < bytes.length; end++) expect(decodeSnapshot(bytes.subarray(0, end)).ok).toBe(false);
    expect(decodeSnapshot(Uint8Array.of(...bytes, 0))).toMatchObject({ ok: false, message: expect.stringContaining("bytes follow the last request") });
    expect(decodeSnapshot(new Uint8Array(0)).ok).toBe(false);
  });

  test("damaged bytes never throw: each decodes to a refusal or a consistent state", () => {
    const bytes = populated().snapshot();
    const random = seededRandom(SEED);
    for (let run = 0; run < 2_000; run++) {
      const damaged = bytes.slice();
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) damaged[5 + Math.floor(random() * (damaged.length - 5))] = Math.floor(random() * 256);
      const decoded = decodeSnapshot(damaged);
      if (decoded.ok) expect(decoded.value.image.partitionCount()).toBeGreaterThanOrEqual(0);
      else expect(decoded.message).toMatch(/^snapshot is (malformed|inconsistent): /);
    }
  });

  test("records out of order or repeated are refused", () => {
    const broker: RegisterBrokerRecord = {
      type: "metadata", name: "RegisterBrokerRecord", offset: 1, timestamp: T0,
      fields: { internalUUID: "u", brokerId: 5, brokerHost: "h", brokerPort: "1", securityProtocol: "PLAINTEXT", brokerStatus: "INIT", rackId: "r", epoch: 0 },
    };
    const w = new SnapshotWriter();
    writeHead(w, 1, 0);
    w.uint(2);
    writeBroker(w, broker);
    writeBroker(w, broker);
    for (const count of [0, 0, 0]) w.uint(count);
    w.flush();
    const data = Uint8Array.from(w.chunks.flatMap((c) => [...c]));
    expect(decodeSnapshot(data)).toMatchObject({ ok: false, message: expect.stringContaining("broker 5 is out of order or repeated") });
  });
});

describe("snapshot integers and tables", () => {
  test("any safe integer round-trips; tabled strings and lists come back equal", () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), fc.array(fc.constantFrom("a", "é", "", "2026")), fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 4 })), (ints, texts, lists) => {
        const w = new SnapshotWriter();
        for (const n of ints) w.int(n);
        for (const t of texts) w.sharedText(t);
        for (const l of lists) w.list(l);
        w.flush();
        const r = new SnapshotReader(Uint8Array.from(w.chunks.flatMap((c) => [...c])), 0);
        expect(ints.map(() => r.int())).toEqual(ints);
        expect(texts.map(() => r.sharedText())).toEqual(texts);
        expect(lists.map(() => [...r.list()])).toEqual(lists);
        expect(r.done).toBe(true);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
