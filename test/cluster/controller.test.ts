// The controller on three real dist/yakt processes: three brokers heartbeat through BrokerMgmt, a
// topic's partitions are spread over them, one broker falls silent; within its session timeout
// + 1 s every partition it led has a new leader from its ISR, and the other brokers see the new
// states in their BrokerMgmt diffs.
import { afterAll, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { HeartbeatPacer } from "./support/heartbeat-pacer.ts";
import { http } from "./support/http.ts";
import { expectStatus, expectStatusEverywhere, type RecordBody, registerBroker } from "./support/metadata-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

const SESSION_MS = 1_500;
const BROKERS = [1, 2, 3];

type Diff = { mode: "diff"; offset: number; records: RecordBody[] } | { mode: "snapshot"; offset: number };

let cluster: ProcessCluster | null = null;

afterAll(async () => {
  await cluster?.stopAll();
});

/** A BrokerMgmt fetch of `brokerId` on `node` since `since` (also that broker's heartbeat). */
async function brokerDiff(c: ProcessCluster, node: number, brokerId: number, since: number): Promise<RecordBody[]> {
  const answer = (await expectStatus(http("POST", c.url(node, "/v1/broker-mgmt/metadata"), { brokerId, since }, 3_000), 200, `BrokerMgmt of ${brokerId} on ${node}`)) as Diff;
  if (answer.mode !== "diff") throw new Error(`expected a diff since ${since}, got a snapshot`);
  return answer.records;
}

/** The newest state of each partition among `records`, by partition id. */
function latestPartitions(records: RecordBody[]): Map<number, RecordBody["fields"]> {
  const latest = new Map<number, RecordBody["fields"]>();
  for (const r of records) if (r.name === "PartitionRecord") latest.set(Number(r.fields.partitionId), r.fields);
  return latest;
}

test("a silent broker's partitions get new leaders within its session + 1 s, seen in the other brokers' diffs", async () => {
  const c = new ProcessCluster(3, ["--session-timeout-ms", String(SESSION_MS), "--election-ticks", "50"]);
  cluster = c;
  c.startAll();
  const leader = await c.waitForLeader();
  const follower = c.ids.find((id) => id !== leader) as number;
  for (const id of BROKERS) await registerBroker(c, follower, id);
  const pacers = new Map(BROKERS.map((id) => [id, new HeartbeatPacer(c, id, 150)]));
  try {
    for (const id of BROKERS) await expectStatusEverywhere(c, id, "ALIVE");
    const created = (await expectStatus(http("POST", c.url(follower, "/v1/topics"), { name: "orders", partitions: 9, replicationFactor: 3 }), 201, "create orders")) as { partitions: RecordBody[] };
    const since = Math.max(...created.partitions.map((p) => p.offset));
    const silent = Number(created.partitions[0].fields.leader);
    const led = created.partitions.filter((p) => p.fields.leader === String(silent)).map((p) => Number(p.fields.partitionId));
    expect(led.length).toBe(3); // striped placement: each broker leads a third
    const others = BROKERS.filter((id) => id !== silent);

    await pacers.get(silent)?.stop();
    const stoppedAt = Date.now();
    // Each other broker fetches its own diff from a different node; both must show every move.
    const seen = await waitUntil(
      `every partition led by broker ${silent} to have a new leader in the other brokers' diffs`,
      async () => {
        const diffs = await Promise.all(others.map((id, i) => brokerDiff(c, c.ids[i], id, since)));
        const views = diffs.map(latestPartitions);
        const moved = views.every((view) => led.every((p) => view.has(p) && view.get(p)?.leader !== String(silent)));
        return moved ? views : null;
      },
      SESSION_MS + 10_000,
      25,
    );
    const elapsed = Date.now() - stoppedAt;
    expect(elapsed).toBeLessThanOrEqual(SESSION_MS + 1_000);

    for (const view of seen) {
      for (const p of led) {
        const fields = view.get(p)!;
        const before = created.partitions.find((x) => Number(x.fields.partitionId) === p)!.fields;
        expect(fields.leader).toBe(String((before.replicas as number[]).find((id) => id !== silent)));
        expect(fields.ISR).not.toContain(silent);
        expect(fields.leaderEpoch).toBe(1);
        expect(fields.partitionEpoch).toBe(1);
      }
    }
    await expectStatusEverywhere(c, silent, "FENCED");
    const topic = (await expectStatus(http("GET", c.url(leader, "/v1/topics/orders")), 200, "topic orders")) as { partitions: RecordBody[] };
    expect(topic.partitions.filter((p) => p.fields.leader === String(silent))).toEqual([]);
    expect(topic.partitions.every((p) => (p.fields.ISR as number[]).length === 2)).toBe(true);
  } finally {
    for (const pacer of pacers.values()) await pacer.stop();
  }
}, 60_000);
