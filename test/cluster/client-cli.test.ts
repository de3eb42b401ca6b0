// The client subcommands of the real binary against a real 3-node cluster: topics, brokers,
// cluster status/replication and log, their JSON matching the API, and their failures (exit codes
// and the server's error message).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { runYakt, yaktJson } from "./support/run-yakt.ts";

const cluster = new ProcessCluster(3);
let leader = 0;
let follower = 0;
const server = (id: number) => cluster.url(id, "");

beforeAll(async () => {
  cluster.startAll();
  leader = await cluster.waitForLeader();
  follower = cluster.ids.find((id) => id !== leader) as number;
  for (const id of [1, 2, 3]) {
    const r = await http("POST", cluster.url(leader, "/v1/brokers"), { brokerId: id, brokerHost: `b${id}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id}` });
    expect(r.status).toBe(201);
  }
}, 60_000);

afterAll(() => cluster.stopAll());

test("topics create, list and describe through a follower, as tables and as JSON", async () => {
  const env = { YAKT_SERVER: server(follower) };
  const created = await runYakt(["topics", "create", "orders", "--partitions", "3", "--replication-factor", "2"], env);
  expect(created.code).toBe(0);
  expect(created.stdout).toContain("Topic           orders");
  expect(created.stdout).toMatch(/PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+EPOCH/);
  const listed = await yaktJson(["topics", "list"], env);
  expect(listed).toEqual((await http("GET", cluster.url(follower, "/v1/topics"))).body);
  expect(listed.topics.map((t: { fields: { name: string } }) => t.fields.name)).toContain("orders");
  const described = await yaktJson(["topics", "describe", "orders", "--server", server(leader)]);
  expect(described.partitions).toHaveLength(3);
  const table = await runYakt(["topics", "list"], env);
  expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+TOPIC ID\s+OFFSET$/);
});

test("topics delete through a follower removes the topic everywhere; the name can be created again", async () => {
  const env = { YAKT_SERVER: server(follower) };
  expect((await runYakt(["topics", "create", "short-lived", "--partitions", "2", "--replication-factor", "2"], env)).code).toBe(0);
  const before = await yaktJson(["topics", "describe", "short-lived"], env);
  const deleted = await runYakt(["topics", "delete", "short-lived"], env);
  expect(deleted.code).toBe(0);
  expect(deleted.stdout).toMatch(/^deleted topic short-lived \(offset \d+\)\n$/);
  for (const id of cluster.ids) expect((await http("GET", cluster.url(id, "/v1/topics/short-lived"))).status).toBe(404);
  const again = await runYakt(["topics", "delete", "short-lived"], env);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("short-lived");
  const recreated = await yaktJson(["topics", "create", "short-lived"], env);
  expect(recreated.topic?.fields?.topicUUID ?? recreated.fields?.topicUUID).not.toBe(before.topic?.fields?.topicUUID ?? before.fields?.topicUUID);
});

test("brokers list and describe", async () => {
  const env = { YAKT_SERVER: server(follower) };
  const listed = await yaktJson(["brokers", "list", "--all"], env);
  expect(listed.brokers.map((b: { fields: { brokerId: number } }) => b.fields.brokerId).sort()).toEqual([1, 2, 3]);
  const one = await runYakt(["brokers", "describe", "2"], env);
  expect(one.code).toBe(0);
  expect(one.stdout).toMatch(/BrokerId\s+2/);
  expect(one.stdout).toMatch(/Address\s+b2:9092/);
});

test("cluster status and replication name the leader; the leader knows every member's lag", async () => {
  // Asked again: on a loaded machine leadership may have moved since the cluster started.
  leader = await cluster.waitForLeader();
  follower = cluster.ids.find((id) => id !== leader) as number;
  const status = await yaktJson(["cluster", "status", "--server", server(follower)]);
  expect(status.leader).toBe(leader);
  const table = await runYakt(["cluster", "status", "--server", server(follower)]);
  expect(table.stdout).toMatch(new RegExp(`LeaderId\\s+${leader}\\n`));
  const replication = await runYakt(["cluster", "replication", "--server", server(leader)]);
  expect(replication.code).toBe(0);
  const rows = replication.stdout.trim().split("\n").slice(1);
  expect(rows).toHaveLength(3);
  expect(rows.filter((r) => r.includes("Leader"))).toHaveLength(1);
  const fromFollower = await runYakt(["cluster", "replication", "--server", server(follower)]);
  expect(fromFollower.stdout).toContain("only the leader");
});

test("log pages match GET /v1/log", async () => {
  const page = await yaktJson(["log", "--from", "1", "--limit", "5", "--server", server(leader)]);
  const api = (await http("GET", cluster.url(leader, "/v1/log?from=1&limit=5"))).body as { records: unknown[] };
  expect(page.records).toEqual(api.records);
  expect(page.records.length).toBeGreaterThan(0);
  const table = await runYakt(["log", "--limit", "2", "--server", server(leader)]);
  expect(table.stdout).toMatch(/OFFSET\s+TIMESTAMP\s+RECORD\s+FIELDS/);
});

test("failures: the server's error message and exit 1; a bad command line exits 2; an unreachable server exits 1", async () => {
  const missing = await runYakt(["topics", "describe", "nope", "--server", server(leader)]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("404 not_found");
  expect(missing.stderr).toContain("does not exist");
  const conflict = await runYakt(["topics", "create", "orders", "--server", server(leader)]);
  expect(conflict.code).toBe(1);
  expect(conflict.stderr).toContain("409");
  const usage = await runYakt(["topics", "create", "x", "--partitions", "2"]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("--replication-factor");
  const badOutput = await runYakt(["topics", "list", "--output", "yaml"]);
  expect(badOutput.code).toBe(2);
  const closed = await runYakt(["topics", "list"], { YAKT_SERVER: "http://127.0.0.1:1" });
  expect(closed.code).toBe(1);
  expect(closed.stderr).toContain("cannot reach http://127.0.0.1:1");
});

test("docs/grafana-dashboard.json queries only series a real node's /metrics exposes", async () => {
  const dashboard = await Bun.file(new URL("../../docs/grafana-dashboard.json", import.meta.url)).json();
  const queried = new Set<string>();
  for (const panel of dashboard.panels) for (const t of panel.targets) for (const m of t.expr.match(/yakt_[a-z_]+/g) ?? []) queried.add(m);
  expect(queried.size).toBeGreaterThan(10);
  const exposed = (await http("GET", cluster.url(leader, "/metrics"))).body as string;
  const missing = [...queried].filter((name) => !new RegExp(`^${name}[ {]`, "m").test(exposed));
  expect(missing).toEqual([]);
});
