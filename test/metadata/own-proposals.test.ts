// A leader applies the commands it encoded for proposal as it built them, without decoding their
// bytes (MetadataStateMachine.encode): it must reach exactly what its followers reach from the
// bytes, for commands that do not survive JSON as they are (-0, holes, undefined, invalid ones)
// too, and it must really skip the decode for those that do.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Command, encodeCommand, encodeRoundTrip } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { T0, changeBroker, createPartition, createTopic, registerBroker, registerProducer, snapshotText } from "./fixtures.ts";

/** Commands over a few brokers and topics, some of them changed so that JSON does not give them back. */
const brokerId = fc.integer({ min: 0, max: 3 });
const replicas = fc.array(brokerId, { minLength: 1, maxLength: 3 });
const plain: fc.Arbitrary<Command> = fc.oneof(
  brokerId.map((id) => registerBroker(id)),
  fc.tuple(brokerId, fc.constantFrom("update" as const, "heartbeat" as const, "fence" as const, "unregister" as const)).map(([id, change]) => changeBroker(id, change, change === "update" ? { brokerHost: `h${id}` } : {})),
  fc.constantFrom("a", "b").map((name) => createTopic(name)),
  fc.tuple(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 3 }), replicas).map(([topic, id, r]) => createPartition(topic, id, r)),
  fc.tuple(brokerId, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })).map(([id, producerId]) => registerProducer(id, producerId)),
);
const bent: fc.Arbitrary<Command> = fc.oneof(
  brokerId.map((id) => registerBroker(id, { brokerId: id === 0 ? -0 : id })),
  fc.tuple(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 3 })).map(([topic, id]) => {
    const holey = [1, 2, 3];
    delete holey[1];
    return createPartition(topic, id, holey);
  }),
  brokerId.map((id) => changeBroker(id, "update", { brokerHost: `h${id}`, brokerPort: undefined })),
  brokerId.map((id) => registerBroker(id, { brokerId: 2 ** 40 })),
);
const command = fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: bent });

describe("a leader's own proposals", () => {
  test("applied as built, they give every result and the snapshot its followers get from the bytes", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const leader = new MetadataStateMachine();
        const follower = new MetadataStateMachine();
        commands.forEach((c, i) => {
          const data = leader.encode(c);
          const copy = Uint8Array.from(data); // a follower's bytes came over the wire
          expect(leader.apply(i + 1, data)).toEqual(follower.apply(i + 1, copy));
        });
        expect(snapshotText(leader.snapshot())).toBe(snapshotText(follower.snapshot()));
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });

  test("a command that JSON gives back unchanged is applied without reading its bytes again", () => {
    const sm = new MetadataStateMachine();
    const data = sm.encode(registerBroker(1));
    data.fill(0x20); // spaces: not a command any more
    expect(sm.apply(1, data)).toMatchObject({ ok: true, records: [{ name: "RegisterBrokerRecord", offset: 1 }] });
    // Another machine, or this one for bytes it did not encode, decodes them.
    expect(new MetadataStateMachine().apply(1, data)).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(sm.apply(2, Uint8Array.from(encodeCommand(registerBroker(2))).fill(0x20))).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  test("a command with a list inside is decoded; a flat one is frozen when kept", () => {
    const sm = new MetadataStateMachine();
    sm.apply(1, encodeCommand(registerBroker(1)));
    sm.apply(2, encodeCommand(createTopic("t")));
    const listed = createPartition("t", 0, [1]);
    const data = sm.encode(listed);
    data.fill(0x20);
    expect(sm.apply(3, data)).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(Object.isFrozen(listed)).toBe(false);
    const flat = changeBroker(1, "update", { brokerHost: "h" });
    sm.encode(flat);
    expect(Object.isFrozen(flat)).toBe(true);
  });

  test("a command that does not round-trip is decoded from its bytes, as its followers do", () => {
    const sm = new MetadataStateMachine();
    const data = sm.encode(registerBroker(0, { brokerId: -0 }));
    const result = sm.apply(1, data);
    expect(result.ok && Object.is((result.records[0].fields as { brokerId: number }).brokerId, 0)).toBe(true);
    const invalid = sm.encode(registerBroker(2, { timestamp: "yesterday" }));
    expect(sm.apply(2, invalid)).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  test("encodeRoundTrip tells which commands decode to themselves", () => {
    const roundTrips = (c: Command) => encodeRoundTrip(c).roundTrips;
    expect(roundTrips(registerBroker(1))).toBe(true);
    expect(roundTrips(createPartition("t", 0, [1, 2]))).toBe(true);
    expect(encodeRoundTrip(createPartition("t", 0, [1, 2]), 1).roundTrips).toBe(false);
    expect(roundTrips(registerBroker(1, { brokerHost: "\ud800 lone surrogate" }))).toBe(true);
    expect(roundTrips(registerBroker(0, { brokerId: -0 }))).toBe(false);
    expect(roundTrips(changeBroker(1, "update", { brokerHost: undefined, brokerPort: "1" }))).toBe(false);
    expect(roundTrips(registerBroker(1, { timestamp: T0.replace("Z", "") }))).toBe(false);
    expect(roundTrips({ ...registerBroker(1), extra: true } as Command)).toBe(false);
    const data = encodeRoundTrip(registerBroker(1)).data;
    expect(new TextDecoder().decode(data)).toBe(JSON.stringify(registerBroker(1)));
  });
});
