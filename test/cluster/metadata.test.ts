// The metadata service across three real dist/yakt processes: writes forwarded by followers,
// linearizable reads on followers, long polls woken by a commit, broker fencing by the leader (and
// afresh after a failover), and snapshot answers once the log is compacted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { HeartbeatPacer } from "./support/heartbeat-pacer.ts";
import { http } from "./support/http.ts";
import {
  brokerBody,
  expectStatus,
  expectStatusEverywhere,
  heartbeat,
  logRecords,
  metric,
  type RecordBody,
  registerBroker,
} from "./support/metadata-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

interface TopicBody {
  topic: RecordBody;
  partitions: RecordBody[];
}

type Answer =
  | { mode: "diff"; offset: number; records: RecordBody[] }
  | { mode: "snapshot"; offset: number; snapshot: { brokers: RecordBody[]; topics: RecordBody[] } };

const CALM_ELECTIONS = ["--election-ticks", "50"];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function createTopic(cluster: ProcessCluster, node: number, name: string): Promise<TopicBody> {
  return (await expectStatus(http("POST", cluster.url(node, "/v1/topics"), { name }), 201, `create topic ${name} on node ${node}`)) as TopicBody;
}

async function clientMetadata(cluster: ProcessCluster, node: number, query: string, timeoutMs = 3_000): Promise<Answer> {
  const url = cluster.url(node, `/v1/client-mgmt/metadata${query}`);
  return (await expectStatus(http("GET", url, undefined, timeoutMs), 200, `GET ${url}`)) as Answer;
}

describe("metadata on three real nodes (no fencing during these tests)", () => {
  let cluster: ProcessCluster;
  let leader = 0;
  let followers: number[] = [];
  const brokers: number[] = [];
  const topics: string[] = [];

  beforeAll(async () => {
    // A session far longer than the run: no fence record may end a long poll early. Elections
    // after 500 ms of silence, not 100: on a loaded machine a spontaneous one would answer a
    // write of these tests 503, which is not what they are about.
    cluster = new ProcessCluster(3, ["--session-timeout-ms", "3600000", ...CALM_ELECTIONS]);
    cluster.startAll();
    leader = await cluster.waitForLeader();
    followers = cluster.ids.filter((id) => id !== leader);
  });

  afterAll(async () => {
    await cluster?.stopAll();
  });

  test("writes sent to a follower are forwarded: 201 with the record the leader stamped", async () => {
    const broker = await registerBroker(cluster, followers[0], 11);
    brokers.push(11);
    expect(broker.name).toBe("RegisterBrokerRecord");
    expect(broker.fields).toMatchObject({ ...brokerBody(11), brokerStatus: "INIT" });
    expect(typeof broker.fields.internalUUID).toBe("string");
    expect(broker.timestamp).toMatch(ISO_UTC);
    expect(broker.offset).toBeGreaterThan(0);

    const topic = await createTopic(cluster, followers[1], "forwarded-topic");
    topics.push("forwarded-topic");
    expect(topic.topic.fields.name).toBe("forwarded-topic");
    expect(typeof topic.topic.fields.topicUUID).toBe("string");

    // The leader holds exactly what the followers answered: one stamp, made once, in the log.
    const onLeader = await expectStatus(http("GET", cluster.url(leader, "/v1/brokers/11")), 200, "broker 11 on the leader");
    expect(onLeader).toEqual(broker);
    const topicOnLeader = await expectStatus(http("GET", cluster.url(leader, "/v1/topics/forwarded-topic")), 200, "topic on the leader");
    expect(topicOnLeader).toEqual(topic);
    const logged = await logRecords(cluster, leader);
    expect(logged.find((r) => r.offset === broker.offset)).toEqual(broker);
    expect(logged.find((r) => r.offset === topic.topic.offset)).toEqual(topic.topic);
  });

  test("one broker id registered concurrently on two followers: exactly one 201 and one 409", async () => {
    const [a, b] = await Promise.all(followers.map((f) => http("POST", cluster.url(f, "/v1/brokers"), brokerBody(12))));
    brokers.push(12);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [won, lost] = a.status === 201 ? [a, b] : [b, a];
    expect((lost.body as { error: string }).error).toBe("conflict");
    const winner = won.body as RecordBody;
    for (const id of cluster.ids) {
      const held = await expectStatus(http("GET", cluster.url(id, "/v1/brokers/12")), 200, `broker 12 on node ${id}`);
      expect((held as RecordBody).fields.internalUUID).toBe(winner.fields.internalUUID);
    }
    const registrations = (await logRecords(cluster, leader)).filter((r) => r.name === "RegisterBrokerRecord" && r.fields.brokerId === 12);
    expect(registrations).toHaveLength(1);
  });

  test("a write on the leader is read at once on every follower (linearizable by default)", async () => {
    for (let i = 0; i < 5; i++) {
      const name = `read-your-write-${i}`;
      const created = await createTopic(cluster, leader, name);
      topics.push(name);
      const reads = await Promise.all(followers.map((f) => http("GET", cluster.url(f, `/v1/topics/${name}`))));
      for (const r of reads) {
        expect(r.status).toBe(200);
        expect((r.body as TopicBody).topic).toEqual(created.topic);
      }
    }
  });

  test("a long poll parked on a follower is answered by the next commit with the new record", async () => {
    const follower = followers[0];
    const current = await clientMetadata(cluster, follower, "");
    expect(current.mode).toBe("snapshot");
    const barriers = await metric(cluster, follower, "yakt_raft_read_barriers_total");
    let settled = false;
    const poll = clientMetadata(cluster, follower, `?since=${current.offset}&wait_ms=10000`, 15_000).finally(() => {
      settled = true;
    });
    // The poll has passed its read barrier: from there on only a commit (or wait_ms) answers it.
    await waitUntil("the long poll to reach its read barrier", async () => (await metric(cluster, follower, "yakt_raft_read_barriers_total")) > barriers, 5_000, 10);
    expect(settled).toBe(false);

    const created = await createTopic(cluster, leader, "woke-the-poll");
    topics.push("woke-the-poll");
    const answer = await poll;
    expect(answer.mode).toBe("diff");
    if (answer.mode !== "diff") return;
    expect(answer.records).toContainEqual(created.topic);
    expect(answer.offset).toBeGreaterThanOrEqual(created.topic.offset);
    expect(answer.records.every((r) => r.offset > current.offset)).toBe(true);
  });

  test("after every node compacts into a snapshot, since=1 answers a snapshot of everything", async () => {
    for (const id of [21, 22, 23]) {
      await registerBroker(cluster, cluster.ids[id % 3], id);
      brokers.push(id);
    }
    const producer = (await expectStatus(http("POST", cluster.url(followers[0], "/v1/producers"), { brokerId: 21 }), 201, "producer of broker 21")) as RecordBody;
    for (const name of ["late-a", "late-b"]) {
      await createTopic(cluster, leader, name);
      topics.push(name);
    }
    const status = await cluster.status(leader);
    await cluster.waitApplied(status?.commitOffset ?? Number.MAX_SAFE_INTEGER);

    for (const id of cluster.ids) {
      const meta = (await expectStatus(http("POST", cluster.url(id, "/v1/snapshots")), 201, `snapshot on node ${id}`)) as { index: number };
      expect(meta.index).toBeGreaterThan(1);

      const answer = await clientMetadata(cluster, id, "?since=1");
      expect(answer.mode).toBe("snapshot");
      if (answer.mode !== "snapshot") return;
      expect(answer.snapshot.brokers.map((b) => b.fields.brokerId).sort()).toEqual([...brokers].sort());
      expect(answer.snapshot.topics.map((t) => t.fields.name).sort()).toEqual([...topics].sort());
      expect(answer.snapshot).toHaveProperty("producers", []); // ClientMgmt never carries producers

      const listed = (await expectStatus(http("GET", cluster.url(id, "/v1/snapshots")), 200, "snapshot list")) as { snapshots: { index: number }[] };
      expect(listed.snapshots.map((s) => s.index)).toContain(meta.index);
      const latest = (await expectStatus(http("GET", cluster.url(id, "/v1/snapshots/latest")), 200, "latest snapshot")) as {
        meta: { index: number };
        image: { brokers: RecordBody[]; topics: RecordBody[]; producers: RecordBody[] };
      };
      expect(latest.meta.index).toBe(meta.index);
      expect(latest.image.brokers.map((b) => b.fields.brokerId).sort()).toEqual([...brokers].sort());
      expect(latest.image.topics.map((t) => t.fields.name).sort()).toEqual([...topics].sort());
      expect(latest.image.producers).toEqual([producer]);
    }
  });
});

describe("broker fencing on three real nodes (session timeout 1000 ms)", () => {
  let cluster: ProcessCluster | null = null;

  afterAll(async () => {
    await cluster?.stopAll();
  });

  test("silence fences everywhere, a heartbeat unfences; after a failover only the silent broker is fenced", async () => {
    const c = new ProcessCluster(3, ["--session-timeout-ms", "1000", ...CALM_ELECTIONS]);
    cluster = c;
    c.startAll();
    const first = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== first) as number;

    await registerBroker(c, follower, 1);
    await expectStatus(heartbeat(c, follower, 1, 3_000), 200, "first heartbeat of broker 1");
    await expectStatusEverywhere(c, 1, "ALIVE");
    await expectStatusEverywhere(c, 1, "FENCED");
    await expectStatus(heartbeat(c, follower, 1, 3_000), 200, "heartbeat of fenced broker 1");
    await expectStatusEverywhere(c, 1, "UNFENCED");

    await registerBroker(c, first, 2);
    const pacer = new HeartbeatPacer(c, 2, 100);
    try {
      await expectStatusEverywhere(c, 2, "ALIVE");
      // Broker 1, silent since before broker 2 went ALIVE, fenced again: broker 2's last status
      // change is now older than a session, so only its heartbeats keep it from being fenced.
      await expectStatusEverywhere(c, 1, "FENCED");
      await expectStatusEverywhere(c, 2, "ALIVE");
      await registerBroker(c, first, 3); // never heartbeats
      await c.kill(first);
      const second = await c.waitForLeader();
      expect(second).not.toBe(first);
      await expectStatusEverywhere(c, 3, "FENCED");
      // Broker 3's fence proves a full session passed under the new leader: broker 2 outlived it.
      await expectStatusEverywhere(c, 2, "ALIVE");
      const fencesOf2 = (await logRecords(c, second)).filter(
        (r) => r.name === "RegistrationChangeBrokerRecord" && r.fields.brokerId === 2 && r.fields.brokerStatus === "FENCED",
      );
      expect(fencesOf2).toEqual([]);
    } finally {
      await pacer.stop();
    }
    expect(pacer.acknowledged).toBeGreaterThan(0);
  }, 30_000);
});
