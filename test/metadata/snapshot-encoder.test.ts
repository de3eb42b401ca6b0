// The sliced binary snapshot encoder: byte-identical at any budget to one unbounded step, holding
// what the JSON reference encodeSnapshot() holds (decoded and rendered as JSON, the same text),
// for random images, the empty image, and a capture that later applies do not change.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { encodeSnapshot } from "../../src/metadata/image-codec.ts";
import { IncrementalSort } from "../../src/metadata/incremental-sort.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import type { SnapshotEncoding } from "../../src/node/contracts.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { createPartition, createTopic, registerBroker, registerProducer, snapshotText } from "./fixtures.ts";
import { fed, imageCommand } from "./random-images.ts";

const SEED = 0x5a9;
/** Bound on the steps of one encoding, so a budget bug fails instead of spinning. */
const MAX_STEPS = 1_000_000;


function finish(encoding: SnapshotEncoding, budget: number): Uint8Array {
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const bytes = encoding.step(budget);
    if (bytes !== null) return bytes;
  }
  throw new Error(`encoding not done after ${MAX_STEPS} steps of ${budget}`);
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The snapshot of the state now, in one unbounded step. */
const whole = (sm: MetadataStateMachine) => finish(sm.beginSnapshot(), Number.MAX_SAFE_INTEGER);

describe("sliced snapshot encoding", () => {
  test("equals the one-shot bytes for random images at any budget", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (commands, budget) => {
        const sm = fed(commands);
        const expected = whole(sm);
        expect(finish(sm.beginSnapshot(), budget)).toEqual(expected);
        expect(sm.snapshot()).toEqual(expected);
        expect(snapshotText(expected)).toBe(text(encodeSnapshot(sm.image(), sm.appliedIndex(), sm.rememberedInOrder())));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test("equals the one-shot bytes for a larger seeded image (hundreds of topics and partitions)", () => {
    const random = seededRandom(SEED);
    const pick = (n: number) => Math.floor(random() * n);
    const commands: Command[] = [1, 2, 3].map((b) => registerBroker(b));
    for (let i = 0; i < 400; i++) {
      const name = `t${pick(1e6).toString(36)}`;
      commands.push(createTopic(name, pick(4), 1), createPartition(name, 4 + pick(20), [1 + pick(3)]), registerProducer(1 + pick(3)));
    }
    const sm = fed(commands);
    expect(sm.image().partitionCount()).toBeGreaterThan(500);
    const expected = whole(sm);
    expect(snapshotText(expected)).toBe(text(encodeSnapshot(sm.image(), sm.appliedIndex())));
    for (const budget of [1, 7, 64, 4096]) expect(finish(sm.beginSnapshot(), budget)).toEqual(expected);
  });

  test("stepPieces hands over the writer's chunks: together the one-shot bytes, at any budget", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (commands, budget) => {
        const sm = fed(commands);
        const encoding = sm.beginSnapshot();
        if (encoding.stepPieces === undefined) throw new Error("the metadata encoding hands over no pieces");
        let pieces: readonly Uint8Array[] | null = null;
        for (let steps = 0; pieces === null && steps < MAX_STEPS; steps++) pieces = encoding.stepPieces(budget);
        expect(Buffer.concat(pieces ?? [])).toEqual(Buffer.from(whole(sm)));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  test("equals the one-shot bytes for the empty image, in one step of any size", () => {
    const sm = new MetadataStateMachine();
    const expected = whole(sm);
    expect(finish(sm.beginSnapshot(), 1)).toEqual(expected);
    expect(JSON.parse(snapshotText(expected))).toMatchObject({ brokers: [], topics: [], partitions: [], producers: [] });
  });

  test("a step does no more items than its budget: a budget of 1 takes at least one step per record", () => {
    const sm = fed([registerBroker(1), createTopic("t", 3, 1), registerProducer(1)]);
    const encoding = sm.beginSnapshot();
    let steps = 1;
    while (encoding.step(1) === null) steps++;
    // 1 broker + 1 topic + 3 partitions + 1 producer, each collected and written at least once.
    expect(steps).toBeGreaterThanOrEqual(12);
  });

  test("a remembered request counts with its records: a creation of 50 partitions fills a step of 64 alone", () => {
    const creations = 12;
    const brokers = [1, 2, 3].map((b) => registerBroker(b));
    const topics = (remembered: boolean) =>
      Array.from({ length: creations }, (_, i): Command => ({
        ...createTopic(`t${i}`, 50, 1),
        ...(remembered ? { requestId: `k:create-${i}`, requestHash: i.toString(16).padStart(32, "0") } : {}),
      }));
    const steps = (sm: MetadataStateMachine) => {
      const encoding = sm.beginSnapshot();
      let n = 1;
      while (encoding.step(64) === null) n++;
      return n;
    };
    const plain = fed([...brokers, ...topics(false)]);
    const remembered = fed([...brokers, ...topics(true)]);
    expect([...remembered.rememberedInOrder()]).toHaveLength(creations);
    // Each request weighs 1 + 51 records: no two fit in 64 items, so each takes its own step
    // (counted as one item each, all 12 went in one step and that step grew with the partitions).
    expect(steps(remembered) - steps(plain)).toBeGreaterThanOrEqual(creations - 1);
    expect(finish(remembered.beginSnapshot(), 64)).toEqual(whole(remembered));
    expect(finish(remembered.beginSnapshot(), 1)).toEqual(whole(remembered));
  });

  test("the bytes are those of the state at begin, whatever is applied while encoding", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 60 }), fc.array(imageCommand, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 9 }), (before, during, budget) => {
        const sm = fed(before);
        const expected = whole(sm);
        const encoding = sm.beginSnapshot();
        let bytes: Uint8Array | null = null;
        for (const c of during) {
          sm.apply(sm.appliedIndex() + 1, encodeCommand(c));
          bytes ??= encoding.step(budget);
        }
        expect(bytes ?? finish(encoding, budget)).toEqual(expected);
        expect(snapshotText(sm.snapshot())).toBe(text(encodeSnapshot(sm.image(), sm.appliedIndex())));
      }),
      { seed: SEED + 1, numRuns: 150 },
    );
  });

  test("partitions added to a captured topic do not show in the capture", () => {
    const sm = fed([registerBroker(1), createTopic("t", 2, 1)]);
    const encoding = sm.beginSnapshot();
    sm.apply(3, encodeCommand(createPartition("t", 7, [1])));
    const doc = JSON.parse(snapshotText(finish(encoding, 1)));
    expect(doc.partitions.map((p: { fields: { partitionId: number } }) => p.fields.partitionId)).toEqual([0, 1]);
    expect(sm.image().partitionsOf(sm.image().topicByName("t")?.fields.topicUUID ?? "").length).toBe(3);
  });

  test("a budget that is not a positive integer is refused", () => {
    const encoding = new MetadataStateMachine().beginSnapshot();
    expect(() => encoding.step(0)).toThrow("positive integer budget, got 0");
    expect(() => encoding.step(1.5)).toThrow("got 1.5");
  });
});

describe("incremental sort", () => {
  test("sorts like Array.prototype.sort in steps of any budget, stably", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (keys, budget) => {
        const items = keys.map((key, at) => ({ key, at }));
        const expected = [...items].sort((a, b) => a.key - b.key);
        const sort = new IncrementalSort([...items], (a, b) => a.key - b.key);
        for (let steps = 0; !sort.done && steps < MAX_STEPS; steps++) expect(sort.step(budget)).toBeLessThanOrEqual(budget);
        expect(sort.result()).toEqual(expected);
      }),
      { seed: SEED + 2, numRuns: 200 },
    );
  });

  test("the result is refused before the sort is done", () => {
    const sort = new IncrementalSort([3, 2, 1], (a, b) => a - b);
    expect(() => sort.result()).toThrow("sorted result asked for");
  });
});

