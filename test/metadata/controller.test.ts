// The controller through the service, on the injected clock: failover of partition leadership when
// a broker is fenced, unregistered or shuts down in a controlled way; recovery of leaderless
// partitions when an ISR member comes back; preferred leader election of every partition.
import { describe, expect, test } from "bun:test";
import { MAX_PARTITIONS_PER_CHANGE } from "../../src/metadata/limits.ts";
import { PartitionController } from "../../src/metadata/partition-controller.ts";
import type { PartitionRecord, RegistrationChangeBrokerRecord } from "../../src/metadata/records.ts";
import { broker, pair, rejection, single } from "./service-fixture.ts";

type S = ReturnType<typeof single>;
type Status = RegistrationChangeBrokerRecord["fields"]["brokerStatus"];

/** Three brokers on three racks, ALIVE, and topic "t" with 6 partitions of 3 replicas. */
async function cluster(s: Pick<S, "service">, partitions = 6, rf = 3) {
  for (const id of [1, 2, 3]) {
    await s.service.registerBroker(broker(id, `r${id}`));
    await s.service.brokerMetadata(id, { since: 0 });
  }
  return (await s.service.createTopic({ name: "t", partitions, replicationFactor: rf })).partitions;
}

const partitionsOf = (s: Pick<S, "sm">) => {
  const topic = s.sm.image().topicByName("t");
  return topic ? s.sm.image().partitionsOf(topic.fields.topicUUID) : [];
};
const ledBy = (list: PartitionRecord[], id: number) => list.filter((p) => p.fields.leader === String(id));

/** Keeps brokers `ids` heartbeating while the clock runs `ms` forward, one second at a time. */
async function runWith(s: S, ids: number[], ms: number) {
  for (let t = 0; t < ms; t += 1_000) {
    for (const id of ids) await s.service.brokerMetadata(id, { since: 0 });
    await s.clock.advanceAndSettle(1_000);
  }
  await s.service.controllerSettled();
}

/** Each partition led by `gone` before now has the first other ISR replica leading, a new leader epoch, and `gone` out of its ISR. */
function expectFailedOver(before: PartitionRecord[], after: PartitionRecord[], gone: number) {
  expect(ledBy(after, gone)).toEqual([]);
  for (const p of after) {
    const old = before.find((b) => b.fields.partitionId === p.fields.partitionId)!;
    expect(p.fields.ISR).not.toContain(gone);
    expect(p.fields.partitionEpoch).toBe(old.fields.partitionEpoch + 1);
    if (old.fields.leader === String(gone)) {
      expect(p.fields.leader).toBe(String(old.fields.replicas.find((id) => id !== gone)));
      expect(p.fields.leaderEpoch).toBe(old.fields.leaderEpoch + 1);
    } else {
      expect(p.fields.leader).toBe(old.fields.leader);
      expect(p.fields.leaderEpoch).toBe(old.fields.leaderEpoch);
    }
  }
}

describe("controller: failover", () => {
  test("a fenced broker's partitions get new leaders from the ISR and it leaves every ISR", async () => {
    const s = single({ sessionTimeoutMs: 3_000 });
    const before = await cluster(s);
    expect(ledBy(before, 2).length).toBeGreaterThan(0);
    await runWith(s, [1, 3], 4_000);
    expect(s.sm.image().broker(2)?.fields.brokerStatus).toBe("FENCED");
    expectFailedOver(before, partitionsOf(s), 2);
    expect(s.sm.image().leaderCount(2)).toBe(0);
  });

  test("an unregistered broker's partitions fail over the same way", async () => {
    const s = single();
    const before = await cluster(s);
    await s.service.unregisterBroker(1);
    await s.service.controllerSettled();
    expectFailedOver(before, partitionsOf(s), 1);
  });

  test("the last ISR member is kept, leaderless; when it comes back it is elected again", async () => {
    const s = single({ sessionTimeoutMs: 3_000 });
    await cluster(s, 2, 1);
    const [p0] = partitionsOf(s);
    const only = Number(p0.fields.leader);
    const others = [1, 2, 3].filter((id) => id !== only);
    await runWith(s, others, 4_000);
    const fenced = partitionsOf(s)[0];
    expect(fenced.fields).toMatchObject({ leader: "-1", ISR: [only], leaderEpoch: p0.fields.leaderEpoch + 1, partitionEpoch: p0.fields.partitionEpoch + 1 });
    await s.service.brokerMetadata(only, { since: 0 }); // FENCED -> UNFENCED
    await s.service.controllerSettled();
    expect(partitionsOf(s)[0].fields).toMatchObject({ leader: String(only), ISR: [only], leaderEpoch: p0.fields.leaderEpoch + 2 });
  });

  test("with every ISR member gone one at a time, the ISR keeps the last and the leader is -1", async () => {
    const s = single({ sessionTimeoutMs: 3_000 });
    await cluster(s, 3, 3);
    await s.service.unregisterBroker(1);
    await s.service.controllerSettled();
    await s.service.unregisterBroker(2);
    await s.service.controllerSettled();
    await runWith(s, [], 4_000); // broker 3 fenced
    for (const p of partitionsOf(s)) expect(p.fields).toMatchObject({ leader: "-1", ISR: [3] });
  });

  test(`a broker in more ISRs than one entry holds fails over in entries of at most ${MAX_PARTITIONS_PER_CHANGE}`, async () => {
    const s = single();
    const total = MAX_PARTITIONS_PER_CHANGE * 4 + 7;
    const before = await cluster(s, total, 3);
    const from = s.sm.appliedIndex();
    await s.service.unregisterBroker(2);
    await s.service.controllerSettled();
    expectFailedOver(before, partitionsOf(s), 2);
    const changes = s.sm.history.after(from + 1).filter((r) => r.name === "PartitionRecord");
    expect(changes).toHaveLength(total); // broker 2 was in every ISR
    const perEntry = new Map<number, number>();
    for (const r of changes) perEntry.set(r.offset, (perEntry.get(r.offset) ?? 0) + 1);
    expect(perEntry.size).toBe(Math.ceil(total / MAX_PARTITIONS_PER_CHANGE));
    expect(Math.max(...perEntry.values())).toBe(MAX_PARTITIONS_PER_CHANGE);
  });

  test("controlled shutdown is answered once the broker leads nothing", async () => {
    const s = single();
    const before = await cluster(s);
    expect(ledBy(before, 3).length).toBeGreaterThan(0);
    const answer = await s.service.brokerMetadata(3, { since: s.sm.appliedIndex() }, { wantShutdown: true });
    expect(s.sm.image().leaderCount(3)).toBe(0);
    expect(s.sm.image().broker(3)?.fields.brokerStatus).toBe("ALIVE");
    expectFailedOver(before, partitionsOf(s), 3);
    expect(answer.mode).toBe("diff");
    if (answer.mode === "diff") expect(answer.records.filter((r) => r.name === "PartitionRecord").length).toBe(before.length);
  });

  test("a broker in controlled shutdown is not elected again until it heartbeats without wantShutdown", async () => {
    const s = single();
    await cluster(s, 3, 1);
    const sole = partitionsOf(s).filter((p) => p.fields.leader === "3");
    expect(sole.length).toBe(1);
    await s.service.brokerMetadata(3, { since: 0 }, { wantShutdown: true });
    const leaderless = () => partitionsOf(s).filter((p) => p.fields.leader === "-1");
    expect(leaderless().map((p) => p.fields.ISR)).toEqual([[3]]); // the last ISR member stays
    expect((await s.service.electLeaders()).changed).toBe(0); // and is not elected while shutting down
    await s.service.brokerMetadata(3, { since: 0 }, { wantShutdown: true });
    await s.service.controllerSettled();
    expect(leaderless()).toHaveLength(1);
    await s.service.brokerMetadata(3, { since: 0 }); // back in service
    await s.service.controllerSettled();
    expect(leaderless()).toEqual([]);
    expect(s.sm.image().leaderCount(3)).toBe(1);
  });

  test("a follower forwards a controlled shutdown and sees the moves applied", async () => {
    const { leader, follower } = pair();
    const before = await cluster(follower);
    await follower.service.brokerMetadata(1, { since: 0 }, { wantShutdown: true });
    expect(follower.sm.image().leaderCount(1)).toBe(0);
    expectFailedOver(before, partitionsOf(follower), 1);
    expect(partitionsOf(leader)).toEqual(partitionsOf(follower));
  });
});

describe("controller: taking over through the service", () => {
  test("a new leader logs what its predecessor left: the fenced last ISR member and its leaderless partition", async () => {
    const events: [string, Record<string, unknown>][] = [];
    const s = single({ sessionTimeoutMs: 3_000, log: (event, fields) => events.push([event, fields]) });
    await cluster(s, 2, 1);
    const only = Number(partitionsOf(s)[0].fields.leader);
    await runWith(s, [1, 2, 3].filter((id) => id !== only), 4_000);
    expect(s.sm.image().leaderlessCount()).toBe(1);
    s.handle.stepDown();
    s.handle.becomeLeader();
    const started = events.filter(([event]) => event === "controller_started").map(([, fields]) => fields);
    expect(started.at(-1)).toEqual({ brokersToCheck: [only], leaderlessPartitions: 1 });
    await s.service.controllerSettled();
    expect(s.sm.image().leaderlessCount()).toBe(1); // its only ISR member is still fenced: nothing to elect
  });
});

describe("controller: which broker changes start a pass", () => {
  test("an update that leaves a broker INIT or ALIVE starts none; FENCED, UNFENCED and CLOSED do", async () => {
    const s = single();
    await cluster(s);
    let imageReads = 0;
    const controller = new PartitionController({
      image: () => {
        imageReads++;
        return s.sm.image();
      },
      propose: async () => ({ offset: 0, changed: 0 }),
      yieldToLoop: () => Promise.resolve(),
    });
    controller.start();
    await controller.settled();
    const change = (brokerStatus: Status): RegistrationChangeBrokerRecord => ({
      type: "metadata",
      name: "RegistrationChangeBrokerRecord",
      offset: 1_000,
      timestamp: "2026-11-24T00:00:00.000Z",
      fields: { brokerId: 2, brokerHost: "moved.example", brokerPort: "9092", securityProtocol: "PLAINTEXT", brokerStatus, epoch: 9 },
    });
    const passes = async (status: Status) => {
      imageReads = 0;
      controller.onImageChange({ kind: "records", records: [change(status)] });
      await controller.settled();
      return imageReads > 0;
    };
    expect(await passes("ALIVE")).toBe(false);
    expect(await passes("INIT")).toBe(false);
    for (const status of ["FENCED", "UNFENCED", "CLOSED"] as const) expect(await passes(status)).toBe(true);
  });
});

describe("controller: errors through a follower", () => {
  test("AlterPartition's own codes survive forwarding: stale_partition_epoch and not_partition_leader are 409", async () => {
    const { follower } = pair();
    const [p0] = await cluster(follower, 1, 3);
    const leader = Number(p0.fields.leader);
    const stale = await rejection(follower.service.alterPartition("t", 0, { brokerId: leader, partitionEpoch: 3, ISR: [leader] }));
    expect([stale.code, stale.status]).toEqual(["stale_partition_epoch", 409]);
    const other = p0.fields.replicas.find((id) => id !== leader) as number;
    const notLeader = await rejection(follower.service.alterPartition("t", 0, { brokerId: other, partitionEpoch: 0, ISR: [other] }));
    expect([notLeader.code, notLeader.status]).toEqual(["not_partition_leader", 409]);
  });
});

describe("controller: preferred leader election", () => {
  test("after a broker returns, electing preferred leaders gives each partition its first replica back", async () => {
    const s = single({ sessionTimeoutMs: 3_000 });
    const before = await cluster(s);
    await runWith(s, [1, 3], 4_000);
    await s.service.brokerMetadata(2, { since: 0 }); // UNFENCED, but in no ISR any more
    const noop = await s.service.electLeaders();
    expect(noop.changed).toBe(0); // broker 2 is not in the ISRs: not electable yet
    // Broker 2 caught up: each leader reports it back in the ISR.
    for (const p of partitionsOf(s)) {
      if (!p.fields.replicas.includes(2)) continue;
      await s.service.alterPartition("t", p.fields.partitionId, { brokerId: Number(p.fields.leader), partitionEpoch: p.fields.partitionEpoch, ISR: [...p.fields.ISR, 2] });
    }
    const outcome = await s.service.electLeaders();
    expect(outcome.changed).toBe(ledBy(before, 2).length);
    expect(outcome.batches).toBe(1);
    for (const p of partitionsOf(s)) expect(p.fields.leader).toBe(String(p.fields.replicas[0]));
    expect((await s.service.electLeaders()).changed).toBe(0);
  });

  test("a follower's elect-leaders runs on the leader and reports its counts", async () => {
    const { leader, follower } = pair();
    await cluster(follower);
    expect(await follower.service.electLeaders()).toEqual({ changed: 0, batches: 0, offset: 0 });
    expect(leader.service.trackedBrokers()).toEqual([1, 2, 3]);
  });
});
