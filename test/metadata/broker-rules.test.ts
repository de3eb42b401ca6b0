import { describe, expect, test } from "bun:test";
import { Feeder, changeBroker, expectUnchanged, registerBroker } from "./fixtures.ts";

describe("broker registration", () => {
  test("a new broker is INIT at epoch 0 with the entry's offset and the leader's timestamp", () => {
    const f = new Feeder();
    const result = f.ok(registerBroker(1, { rackId: "east" }));
    expect(result.records).toEqual([
      {
        type: "metadata",
        name: "RegisterBrokerRecord",
        offset: 1,
        timestamp: "2026-11-24T00:00:00.000Z",
        fields: { internalUUID: "uuid-broker-1", brokerId: 1, brokerHost: "host1", brokerPort: "9001", securityProtocol: "PLAINTEXT", brokerStatus: "INIT", rackId: "east", epoch: 0 },
      },
    ]);
    expect(f.sm.image().broker(1)?.fields.brokerStatus).toBe("INIT");
  });

  test("registering an active broker id again is a conflict and writes nothing", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    expectUnchanged(f, () => {
      const r = f.apply(registerBroker(1, { brokerHost: "other" }));
      expect(r).toEqual({ ok: false, error: { code: "conflict", message: "broker 1 is already registered and INIT" } });
    });
  });

  test("a CLOSED or FENCED broker may register again; its epoch keeps growing", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(changeBroker(1, "unregister"));
    const again = f.ok(registerBroker(1, { internalUUID: "second" }));
    expect(again.records[0].fields).toMatchObject({ brokerStatus: "INIT", epoch: 2, internalUUID: "second" });
    f.ok(changeBroker(1, "fence"));
    const third = f.ok(registerBroker(1));
    expect(third.records[0].fields).toMatchObject({ brokerStatus: "INIT", epoch: 4 });
  });
});

describe("broker changes", () => {
  test("update changes the given fields, keeps the others and bumps the epoch", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    const r = f.ok(changeBroker(1, "update", { brokerPort: "9999" }));
    expect(r.records[0]).toMatchObject({
      name: "RegistrationChangeBrokerRecord",
      offset: 2,
      fields: { brokerId: 1, brokerHost: "host1", brokerPort: "9999", securityProtocol: "PLAINTEXT", brokerStatus: "INIT", epoch: 1 },
    });
    const view = f.sm.image().broker(1)!;
    expect(view).toMatchObject({ name: "RegisterBrokerRecord", offset: 2, fields: { brokerPort: "9999", epoch: 1, rackId: "r1", internalUUID: "uuid-broker-1" } });
  });

  test("unregister closes the broker; a CLOSED broker cannot be updated or unregistered", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    expect(f.ok(changeBroker(1, "unregister")).records[0].fields).toMatchObject({ brokerStatus: "CLOSED", epoch: 1 });
    expectUnchanged(f, () => {
      expect(f.apply(changeBroker(1, "update", { brokerHost: "x" }))).toMatchObject({ ok: false, error: { code: "conflict" } });
      expect(f.apply(changeBroker(1, "unregister"))).toMatchObject({ ok: false, error: { code: "conflict" } });
    });
  });

  test("changes of an unknown broker are not_found", () => {
    const f = new Feeder();
    expect(f.apply(changeBroker(5, "update", { brokerHost: "x" }))).toEqual({ ok: false, error: { code: "not_found", message: "broker 5 is not registered" } });
  });

  test("heartbeat: INIT→ALIVE, FENCED→UNFENCED, and an already heartbeating broker is a no-op rejection", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    expect(f.ok(changeBroker(1, "heartbeat")).records[0].fields).toMatchObject({ brokerStatus: "ALIVE", epoch: 1 });
    expectUnchanged(f, () => expect(f.apply(changeBroker(1, "heartbeat"))).toMatchObject({ ok: false, error: { code: "conflict" } }));
    expect(f.ok(changeBroker(1, "fence")).records[0].fields).toMatchObject({ brokerStatus: "FENCED", epoch: 2 });
    expectUnchanged(f, () => expect(f.apply(changeBroker(1, "fence"))).toMatchObject({ ok: false, error: { code: "conflict" } }));
    expect(f.ok(changeBroker(1, "heartbeat")).records[0].fields).toMatchObject({ brokerStatus: "UNFENCED", epoch: 3 });
  });

  test("an update of a fenced broker keeps it fenced", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(changeBroker(1, "fence"));
    expect(f.ok(changeBroker(1, "update", { securityProtocol: "SSL" })).records[0].fields).toMatchObject({ brokerStatus: "FENCED", securityProtocol: "SSL" });
  });
});
