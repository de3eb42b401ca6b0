// BrokerMgmt / ClientMgmt answers: since parsing, diff vs snapshot (10-minute rule, compaction),
// filtering, long poll.
import { describe, expect, test } from "bun:test";
import { MetadataError } from "../../src/metadata/errors.ts";
import type { MetadataAnswer } from "../../src/metadata/service-types.ts";
import { settle } from "../support/manual-clock.ts";
import { broker, rejection, single } from "./service-fixture.ts";

const MINUTE = 60_000;
/** Liveness would fence the silent test brokers as the clock jumps minutes; keep it out of these tests. */
const quiet = { sessionTimeoutMs: 24 * 60 * MINUTE };
const names = (a: MetadataAnswer) => (a.mode === "diff" ? a.records.map((r) => `${r.offset}:${r.name}`) : a.mode);

async function seeded() {
  const s = single(quiet);
  await s.service.registerBroker(broker(1)); // 1
  await s.service.registerProducer({ brokerId: 1 }); // 2
  await s.service.createTopic({ name: "t", partitions: 1 }); // 3
  return s;
}

describe("metadata fetch modes", () => {
  test("no since: a snapshot; ClientMgmt's carries no producers", async () => {
    const { service } = await seeded();
    const client = await service.clientMetadata({});
    expect(client.mode).toBe("snapshot");
    if (client.mode !== "snapshot") return;
    expect(client.offset).toBe(3);
    const body = client.image.body();
    expect(body.brokers).toHaveLength(1);
    expect(body.topics).toHaveLength(1);
    expect(body.partitions).toHaveLength(1);
    expect(body.producers).toEqual([]);
    const all = await service.brokerMetadata(1, {});
    expect(all.mode === "snapshot" && all.image.body().producers.length).toBe(1);
  });

  test("since an offset: records after it, oldest first; ClientMgmt drops producer records", async () => {
    const { service } = await seeded();
    expect(names(await service.clientMetadata({ since: 1 }))).toEqual(["3:TopicRecord", "3:PartitionRecord"]);
    expect(names(await service.clientMetadata({ since: "0" }))).toEqual(["1:RegisterBrokerRecord", "3:TopicRecord", "3:PartitionRecord"]);
    const diff = await service.brokerMetadata(1, { since: 1 });
    // The fetch is also broker 1's first heartbeat: INIT → ALIVE comes in the same answer.
    expect(names(diff)).toEqual(["2:ProducerIdsRecord", "3:TopicRecord", "3:PartitionRecord", "4:RegistrationChangeBrokerRecord"]);
    expect(diff.offset).toBe(4);
    const current = await service.clientMetadata({ since: 4 });
    expect(current).toEqual({ mode: "diff", offset: 4, records: [] });
  });

  test("the 10-minute rule for offsets: a point reached more than the window ago, with news since, gets a snapshot", async () => {
    const { service, clock } = await seeded();
    clock.advance(11 * MINUTE);
    // Nothing new since offset 3: the caller is current, however old the point is.
    expect(names(await service.clientMetadata({ since: 3 }))).toEqual([]);
    await service.registerBroker(broker(2)); // 4, now
    expect((await service.clientMetadata({ since: 3 })).mode).toBe("snapshot");
    expect(names(await service.clientMetadata({ since: 4 }))).toEqual([]);
    clock.advance(MINUTE);
    await service.registerBroker(broker(3)); // 5
    expect(names(await service.clientMetadata({ since: 4 }))).toEqual(["5:RegisterBrokerRecord"]);
  });

  test("a custom diff window is honoured", async () => {
    const { service, clock } = single({ ...quiet, diffWindowMs: 1000 });
    await service.registerBroker(broker(1));
    clock.advance(1001);
    await service.registerBroker(broker(2));
    expect((await service.clientMetadata({ since: 1 })).mode).toBe("snapshot");
  });

  test("since a time (ISO-8601 or epoch ms): records stamped after it, snapshot when older than the window", async () => {
    const { service, clock } = single(quiet);
    const t0 = clock.now();
    await service.registerBroker(broker(1)); // 1 at t0
    clock.advance(MINUTE);
    await service.registerBroker(broker(2)); // 2 at t0+1m
    clock.advance(MINUTE);
    await service.registerBroker(broker(3)); // 3 at t0+2m
    const iso = new Date(t0 + 30_000).toISOString();
    expect(names(await service.clientMetadata({ since: iso }))).toEqual(["2:RegisterBrokerRecord", "3:RegisterBrokerRecord"]);
    expect(names(await service.clientMetadata({ since: t0 + MINUTE }))).toEqual(["3:RegisterBrokerRecord"]);
    expect(names(await service.clientMetadata({ since: String(t0 - 1) }))).toHaveLength(3);
    expect(names(await service.clientMetadata({ since: "2026-11-24T00:01:30+00:00" }))).toEqual(["3:RegisterBrokerRecord"]);
    clock.advance(10 * MINUTE);
    expect((await service.clientMetadata({ since: iso })).mode).toBe("snapshot");
  });

  test("a since before the log's first index (compacted) gets a snapshot", async () => {
    const { service, handle } = await seeded();
    await handle.snapshotNow(); // compacts through 3
    await service.registerBroker(broker(2)); // 4
    expect(handle.firstIndex()).toBe(4);
    expect((await service.clientMetadata({ since: 2 })).mode).toBe("snapshot");
    expect(names(await service.clientMetadata({ since: 3 }))).toEqual(["4:RegisterBrokerRecord"]);
  });

  test("a since past the applied offset gets a snapshot (unknown point)", async () => {
    const { service } = await seeded();
    expect((await service.clientMetadata({ since: 99 })).mode).toBe("snapshot");
  });

  test("bad since / wait_ms are bad_request", async () => {
    const { service } = await seeded();
    for (const since of ["yesterday", "-1", "1.5", "2026-11-24", "2026-13-45T99:00:00Z", 1.5, -3, true]) {
      const err = await rejection(service.clientMetadata({ since: since as never }));
      expect(err).toBeInstanceOf(MetadataError);
      expect(err.code).toBe("bad_request");
    }
    for (const waitMs of [-1, 30_001, 1.5]) {
      expect(await rejection(service.clientMetadata({ since: 1, waitMs }))).toMatchObject({ code: "bad_request" });
    }
    expect(await rejection(service.brokerMetadata(1, { since: "nope" }))).toMatchObject({ code: "bad_request" });
  });
});

describe("long poll", () => {
  test("with nothing new, a fetch waits and wakes on the next commit", async () => {
    const { service } = await seeded();
    let answer: MetadataAnswer | undefined;
    const poll = service.clientMetadata({ since: 3, waitMs: 30_000 }).then((a) => (answer = a));
    await settle();
    expect(answer).toBeUndefined();
    await service.createTopic({ name: "late" });
    await poll;
    expect(names(answer!)).toEqual(["4:TopicRecord"]);
    expect(answer!.offset).toBe(4);
  });

  test("records the audience does not get keep it waiting", async () => {
    const { service, clock } = await seeded();
    let answer: MetadataAnswer | undefined;
    const poll = service.clientMetadata({ since: 3, waitMs: 5_000 }).then((a) => (answer = a));
    await settle();
    await service.registerProducer({ brokerId: 1 });
    await settle();
    expect(answer).toBeUndefined();
    await clock.advanceAndSettle(1_000);
    await service.registerBroker(broker(9));
    await poll;
    expect(names(answer!)).toEqual(["5:RegisterBrokerRecord"]);
  });

  test("it answers an empty diff when the wait runs out on the injected clock", async () => {
    const { service, clock } = await seeded();
    let answer: MetadataAnswer | undefined;
    const poll = service.clientMetadata({ since: 3, waitMs: 2_000 }).then((a) => (answer = a));
    await settle(); // the poll has passed its read barrier and armed its wait
    await clock.advanceAndSettle(1_999);
    expect(answer).toBeUndefined();
    await clock.advanceAndSettle(1);
    await poll;
    expect(answer).toEqual({ mode: "diff", offset: 3, records: [] });
  });
});
