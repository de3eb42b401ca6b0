// Backup and restore, and dump-log, with the real binary on real clusters: `yakt snapshot save`
// from a follower while writes go on, `yakt snapshot restore` into three new data dirs, a new
// cluster (new id, new membership) that serves every topic, broker and producer id of the backup;
// `yakt dump-log` of a stopped node equal to its GET /v1/log, and refused while the node runs.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { runYakt, yaktJson } from "./support/run-yakt.ts";

const source = new ProcessCluster(3);
const restored = new ProcessCluster(3, ["--cluster-id", "restored-cluster"]);
const work = mkdtempSync(join(tmpdir(), "yakt-backup-test-"));
const backup = join(work, "cluster.bak");
let leader = 0;
let follower = 0;

async function ok(method: string, url: string, body?: unknown): Promise<any> {
  const r = await http(method, url, body, 10_000);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  source.startAll();
  leader = await source.waitForLeader();
  follower = source.ids.find((id) => id !== leader) as number;
  for (const id of [1, 2, 3]) {
    await ok("POST", source.url(leader, "/v1/brokers"), { brokerId: id, brokerHost: `b${id}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` });
  }
  for (let i = 0; i < 20; i++) await ok("POST", source.url(leader, "/v1/topics"), { name: `topic-${i}`, partitions: 2, replicationFactor: 2 });
  await ok("POST", source.url(leader, "/v1/producers"), { brokerId: 1 });
  await ok("POST", source.url(leader, "/v1/producers"), { brokerId: 2, producerId: 77 });
}, 60_000);

afterAll(async () => {
  await source.stopAll();
  await restored.stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** The metadata image the seed BrokerMgmt route returns with no parameters (no heartbeat). */
async function image(cluster: ProcessCluster, id: number) {
  const body = await ok("GET", cluster.url(id, "/BrokerMgmt"));
  expect(body.mode).toBe("snapshot");
  return body.snapshot as { brokers: any[]; topics: any[]; partitions: any[]; producers: any[] };
}

test("snapshot save from a follower while writes go on; restore into a new cluster that serves all of it", async () => {
  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) {
      const r = await http("POST", source.url(leader, "/v1/topics"), { name: `during-${written}` }, 10_000);
      if (r.status === 201) written++;
    }
  })();
  const save = await runYakt(["snapshot", "save", backup, "--server", source.url(follower, "")]);
  writing = false;
  await writer;
  expect(save.code).toBe(0);
  expect(save.stdout).toContain("saved the snapshot at index");
  expect(written).toBeGreaterThan(0);
  const header = JSON.parse(readFileSync(backup, "utf8").split("\n")[0]);
  expect(header).toMatchObject({ format: "yakt-backup", clusterId: "cluster-test" });

  // What the backup must hold: everything committed before the save began, as of its index.
  const saved = await image(source, follower);
  const savedTopics = new Set(saved.topics.map((t) => t.fields.name));
  for (let i = 0; i < 20; i++) expect(savedTopics.has(`topic-${i}`)).toBe(true);

  const peers = restored.ids.map((id) => `${id}@${restored.peerAddress(id)}`).join(",");
  for (const id of restored.ids) {
    const r = await runYakt(["snapshot", "restore", backup, "--data-dir", restored.dataDir(id), "--cluster-id", "restored-cluster", "--node-id", String(id), "--peers", peers]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  }
  restored.startAll();
  const newLeader = await restored.waitForLeader();
  const status = await ok("GET", restored.url(newLeader, "/v1/cluster"));
  expect(status.clusterId).toBe("restored-cluster");
  expect(status.membership.voters.sort()).toEqual([1, 2, 3]);

  const got = await image(restored, newLeader);
  const names = got.topics.map((t) => t.fields.name);
  for (let i = 0; i < 20; i++) expect(names).toContain(`topic-${i}`);
  expect(got.topics.length).toBeGreaterThanOrEqual(20);
  expect(got.brokers.map((b) => b.fields.brokerId).sort()).toEqual([1, 2, 3]);
  expect(got.producers.map((p) => p.fields.producerId).sort((a: number, b: number) => a - b)).toEqual(
    saved.producers.map((p) => p.fields.producerId).sort((a: number, b: number) => a - b),
  );
  expect(got.partitions.length).toBeGreaterThanOrEqual(40);
  // Every topic of the backup is there with its id; the new cluster takes writes and continues the ids.
  const byName = new Map(saved.topics.map((t) => [t.fields.name, t.fields.topicUUID]));
  for (const t of got.topics) expect(byName.get(t.fields.name)).toBe(t.fields.topicUUID);
  const created = await ok("POST", restored.url(newLeader, "/v1/topics"), { name: "after-restore" });
  expect(created.topic.offset).toBeGreaterThan(header.index);
  const producer = await ok("POST", restored.url(newLeader, "/v1/producers"), { brokerId: 3 });
  expect(producer.fields.producerId).not.toBe(77);
  for (const id of restored.ids) {
    const stale = await ok("GET", restored.url(id, "/v1/topics?consistency=stale"));
    expect(stale.topics.length).toBeGreaterThan(0);
  }
}, 120_000);

test("restore refuses a non-empty data dir and a damaged backup, and writes nothing", async () => {
  const full = join(work, "full");
  mkdirSync(full, { recursive: true });
  writeFileSync(join(full, "keep.txt"), "x");
  const peers = "1@127.0.0.1:1";
  const args = (dir: string, file = backup) => ["snapshot", "restore", file, "--data-dir", dir, "--cluster-id", "c2", "--node-id", "1", "--peers", peers];
  const refused = await runYakt(args(full));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("is not empty");

  const bytes = readFileSync(backup);
  bytes[bytes.length - 10] ^= 0xff;
  const damaged = join(work, "damaged.bak");
  writeFileSync(damaged, bytes);
  const dir = join(work, "fresh");
  const bad = await runYakt(args(dir, damaged));
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("checksum mismatch");
  expect(await Bun.file(join(dir, "yakt.db")).exists()).toBe(false);

  const notInPeers = await runYakt(["snapshot", "restore", backup, "--data-dir", dir, "--cluster-id", "c2", "--node-id", "2", "--peers", peers]);
  expect(notInPeers.code).toBe(1);
  expect(notInPeers.stderr).toContain("does not list node 2");
});

test("dump-log refuses a running node's database, and of a stopped node prints what its GET /v1/log showed", async () => {
  const target = source.ids.find((id) => id !== leader && id !== follower) as number;
  const held = await runYakt(["dump-log", "--data-dir", source.dataDir(target)]);
  expect(held.code).toBe(1);
  expect(held.stderr).toContain("held by a running node");

  const last = (await ok("GET", source.url(leader, "/v1/cluster"))).commitOffset as number;
  await source.waitApplied(last);
  const live = await ok("GET", source.url(target, "/v1/log?from=0&limit=1000"));
  await source.kill(target);
  const dumped = await yaktJson(["dump-log", "--data-dir", source.dataDir(target), "--from", "0", "--limit", "1000"]);
  expect(dumped.clusterId).toBe("cluster-test");
  expect(dumped.nodeId).toBe(target);
  expect(dumped.firstOffset).toBe(live.firstOffset);
  expect(dumped.records).toEqual(live.records);
  expect(dumped.lastOffset).toBeGreaterThanOrEqual(live.records.at(-1).offset);
  const table = await runYakt(["dump-log", "--data-dir", source.dataDir(target), "--limit", "3"]);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/Snapshot\s+(none|index \d+)/);
  expect(table.stdout).toMatch(/OFFSET\s+TIMESTAMP\s+RECORD/);
  // It left the database as the node needs it: the node starts on it again.
  source.start(target);
  await source.waitApplied(last);
}, 60_000);
