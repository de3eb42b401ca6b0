// The sliced snapshot restore (MetadataStateMachine.beginRestore, snapshot-decoding.ts): at any
// budget it ends in the state restore() makes in one go; until its last step the state machine
// shows the old state, whole; a damaged snapshot is refused at the step that meets the damage and
// leaves the old state; JSON snapshots of old data dirs restore in one step.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Command } from "../../src/metadata/commands.ts";
import { encodeSnapshot } from "../../src/metadata/image-codec.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import type { SnapshotRestore } from "../../src/node/contracts.ts";
import { changeBroker, createTopic, registerBroker } from "./fixtures.ts";
import { fed, imageCommand } from "./random-images.ts";

const SEED = 0x7e5;
/** Bound on the steps of one restore, so a budget bug fails instead of spinning. */
const MAX_STEPS = 1_000_000;


/** Steps the restore to its end; how many steps it took. */
function finish(restore: SnapshotRestore, budget: number): number {
  for (let steps = 1; steps <= MAX_STEPS; steps++) if (restore.step(budget)) return steps;
  throw new Error(`restore not done after ${MAX_STEPS} steps of ${budget}`);
}

describe("sliced snapshot restore", () => {
  test("ends in the state a one-go restore makes, at any budget, the old state shown whole until then", () => {
    fc.assert(
      fc.property(fc.array(imageCommand, { maxLength: 150 }), fc.array(imageCommand, { maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (image, other, budget) => {
        const source = fed(image);
        const bytes = source.snapshot();
        const index = source.appliedIndex() + 5;
        const whole = new MetadataStateMachine();
        whole.restore(index, bytes);
        const target = fed(other);
        const before = target.snapshot();
        const restore = target.beginRestore(index, bytes);
        let steps = 0;
        while (!restore.step(budget)) {
          expect(++steps).toBeLessThan(MAX_STEPS);
          expect(target.appliedIndex()).toBe(other.length);
          expect(target.snapshot()).toEqual(before);
        }
        expect(target.appliedIndex()).toBe(index);
        expect(target.snapshot()).toEqual(whole.snapshot());
        expect(target.image().partitionCount()).toBe(source.image().partitionCount());
        expect(target.rememberedRequests()).toEqual(source.rememberedRequests());
      }),
      { seed: SEED, numRuns: 120 },
    );
  });

  test("a large image takes many bounded steps; the restored state tells the change to its listeners once", () => {
    const commands: Command[] = [registerBroker(1), registerBroker(2), registerBroker(3)];
    for (let t = 0; t < 40; t++) commands.push(createTopic(`t${String(t).padStart(2, "0")}`, 25, 3));
    const source = fed(commands);
    const target = new MetadataStateMachine();
    const changes: string[] = [];
    target.onChange((c) => changes.push(c.kind));
    const steps = finish(target.beginRestore(source.appliedIndex(), source.snapshot()), 64);
    // 3 brokers + 40 topics + 1,000 partitions, 64 a step: at least 16 steps.
    expect(steps).toBeGreaterThanOrEqual(16);
    expect(changes).toEqual(["restored"]);
    expect(target.image().partitionCount()).toBe(1_000);
    expect(target.snapshot()).toEqual(source.snapshot());
  });

  test("the new image shares every unchanged partition record with the one it replaces (issue 10)", () => {
    const before = [registerBroker(1), registerBroker(2), registerBroker(3), createTopic("a", 20, 3), createTopic("b", 20, 3)];
    // The same history but for a write before topic b: b's records differ (offsets), a's do not.
    const source = fed([...before.slice(0, 4), changeBroker(2, "update", { brokerPort: "9093" }), before[4], createTopic("c", 5, 3)]);
    const target = fed(before);
    const held = new Map(["uuid-topic-a", "uuid-topic-b"].flatMap((t) => target.image().partitionsOf(t).map((p) => [`${t}/${p.fields.partitionId}`, p] as const)));
    finish(target.beginRestore(source.appliedIndex(), source.snapshot()), 7);
    expect(target.snapshot()).toEqual(source.snapshot());
    let shared = 0;
    let changed = 0;
    for (const t of ["uuid-topic-a", "uuid-topic-b"]) {
      for (const p of target.image().partitionsOf(t)) {
        const old = held.get(`${t}/${p.fields.partitionId}`);
        if (p === old) shared++;
        else {
          changed++;
          expect(p).not.toEqual(old); // only a record that changed is new
        }
      }
    }
    expect(shared).toBe(20);
    expect(changed).toBe(20);
  });

  test("an unchanged topic keeps the very table and ISR memberships of the image replaced; a change to either image after it leaves the other as it was", () => {
    const before = [registerBroker(1), registerBroker(2), registerBroker(3), createTopic("a", 20, 3), createTopic("d", 10, 3), createTopic("b", 20, 3)];
    const source = fed([...before.slice(0, 5), changeBroker(2, "update", { brokerPort: "9093" }), before[5], createTopic("c", 5, 3)]);
    const target = fed(before);
    const old = target.image();
    finish(target.beginRestore(source.appliedIndex(), source.snapshot()), 7);
    const now = target.image();
    for (const t of ["uuid-topic-a", "uuid-topic-d"]) expect(now.partitionTable(t)).toBe(old.partitionTable(t)!);
    expect(now.partitionTable("uuid-topic-b")).not.toBe(old.partitionTable("uuid-topic-b")!);
    // The indexes an adopted topic's records feed are what a restore from nothing builds.
    const whole = new MetadataStateMachine();
    whole.restore(source.appliedIndex(), source.snapshot());
    const refs = (image: typeof now, broker: number) => image.isrPartitionsOf(broker).map((r) => `${r.topicUUID}/${r.partitionId}`).sort();
    for (const broker of [1, 2, 3]) {
      expect(refs(now, broker)).toEqual(refs(whole.image(), broker));
      expect(now.leaderCount(broker)).toBe(whole.image().leaderCount(broker));
    }
    expect(now.brokersInAnyIsr()).toEqual(whole.image().brokersInAnyIsr());
    expect(now.partitionCount()).toBe(55);
    // Shrinks a partition's ISR to its leader in one image; the other keeps the record and its index.
    const shrinkIn = (changed: typeof now, other: typeof now, topic: string, offset: number) => {
      const p = changed.partition(topic, 0)!;
      const leader = Number(p.fields.leader);
      changed.commit([{ ...p, offset, fields: { ...p.fields, ISR: [leader] } }]);
      const dropped = p.fields.ISR.find((b) => b !== leader)!;
      expect(other.partition(topic, 0)).toBe(p);
      expect(refs(other, dropped)).toContain(`${topic}/0`);
      expect(refs(changed, dropped)).not.toContain(`${topic}/0`);
    };
    // Each image is the first to change its shared topic, so neither may write into the table in place.
    shrinkIn(old, now, "uuid-topic-a", 1_000);
    shrinkIn(now, old, "uuid-topic-d", 1_001);
  });

  test("a topic whose held table changed after its records were compared is loaded from the snapshot, not adopted", () => {
    const commands = [registerBroker(1), registerBroker(2), registerBroker(3), createTopic("a", 20, 3)];
    const source = fed([...commands, createTopic("c", 5, 3)]);
    const target = fed(commands);
    const old = target.image();
    const restore = target.beginRestore(source.appliedIndex(), source.snapshot());
    // Budget 7: the head, 3 brokers, topic a's head and its partitions 0 and 1.
    expect(restore.step(7)).toBe(false);
    const p = old.partition("uuid-topic-a", 0)!;
    old.commit([{ ...p, offset: 1_000, fields: { ...p.fields, ISR: [Number(p.fields.leader)] } }]);
    finish(restore, 7);
    expect(target.image().partition("uuid-topic-a", 0)).toBe(p);
    expect(target.image().partitionTable("uuid-topic-a")).not.toBe(old.partitionTable("uuid-topic-a")!);
    expect(target.snapshot()).toEqual(source.snapshot());
  });

  test("a damaged snapshot is refused at the step that meets the damage, the old state kept", () => {
    const source = fed([registerBroker(1), createTopic("a", 30, 1), createTopic("b", 30, 1)]);
    const bytes = source.snapshot();
    const target = fed([registerBroker(4)]);
    const before = target.snapshot();
    for (const damaged of [bytes.subarray(0, Math.floor(bytes.length / 2)), Uint8Array.of(...bytes, 0)]) {
      const restore = target.beginRestore(9, damaged);
      let refused: unknown = null;
      for (let steps = 0; steps < MAX_STEPS && refused === null; steps++) {
        try {
          if (restore.step(4)) throw new Error("a damaged snapshot was restored");
        } catch (e) {
          refused = e;
        }
      }
      expect(String(refused)).toContain("cannot restore the snapshot at index 9: snapshot is malformed");
      expect(target.snapshot()).toEqual(before);
      expect(target.appliedIndex()).toBe(1);
    }
  });

  test("a snapshot past the index it is restored at is refused at the last step, nothing changed", () => {
    const source = fed([registerBroker(1), createTopic("a", 3, 1)]);
    const target = new MetadataStateMachine();
    expect(() => finish(target.beginRestore(1, source.snapshot()), 2)).toThrow(`snapshot covers index ${source.appliedIndex()}, past the index 1`);
    expect(target.appliedIndex()).toBe(0);
  });

  test("a JSON snapshot of an old data dir restores in one step", () => {
    const source = fed([registerBroker(1), createTopic("a", 3, 1)]);
    const json = encodeSnapshot(source.image(), source.appliedIndex(), source.rememberedInOrder());
    const target = new MetadataStateMachine();
    expect(finish(target.beginRestore(source.appliedIndex(), json), 1)).toBe(1);
    expect(target.snapshot()).toEqual(source.snapshot());
  });

  test("a finished restore is not stepped again; a budget must be a positive integer", () => {
    const source = fed([registerBroker(1)]);
    const target = new MetadataStateMachine();
    const restore = target.beginRestore(1, source.snapshot());
    expect(() => restore.step(0)).toThrow("positive integer budget");
    finish(restore, 100);
    expect(() => restore.step(1)).toThrow("stepped after it replaced the state");
  });
});
