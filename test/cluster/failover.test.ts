// Real processes of dist/yakt on loopback: SIGKILL of leaders, elections, restart and catch-up from
// the log or through InstallSnapshot; no acknowledged write may be lost.
import { afterEach, describe, expect, test } from "bun:test";
import { nodeCounter } from "./support/node-metrics.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { TopicWriter } from "./support/topic-writer.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const snapshotsInstalled = (c: ProcessCluster, id: number) => nodeCounter(c, id, "yakt_raft_snapshots_installed_total");

describe("three real nodes", () => {
  test("leader SIGKILLed: new leader, writes continue, the old node catches up from the log", async () => {
    cluster = new ProcessCluster(3);
    cluster.startAll();
    const first = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("before", 10);
    await cluster.kill(first);
    const second = await cluster.waitForLeader();
    expect(second).not.toBe(first);
    await writer.writeMany("after", 10);
    cluster.start(first);
    await cluster.waitForLeader();
    await writer.expectAllEverywhere();
    expect(await snapshotsInstalled(cluster, first)).toBe(0);
    expect(writer.acknowledged).toHaveLength(20);
  }, 60_000);

  test("with a low --snapshot-entries the restarted node catches up via InstallSnapshot", async () => {
    cluster = new ProcessCluster(3, ["--snapshot-entries", "10"]);
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("early", 3);
    const victim = cluster.ids.find((id) => id !== leader) as number;
    await cluster.kill(victim);
    // Past the leader's snapshot threshold (4 × (10 + its stagger)), so its log no longer reaches back.
    await writer.writeMany("behind", 80);
    cluster.start(victim);
    await cluster.waitForLeader();
    await writer.expectAllEverywhere();
    expect(await snapshotsInstalled(cluster, victim)).toBeGreaterThan(0);
  }, 60_000);
});

describe("five real nodes", () => {
  test("two simultaneous SIGKILLs (leader included): the other three keep the data and accept writes", async () => {
    cluster = new ProcessCluster(5);
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("five", 10);
    const other = cluster.ids.find((id) => id !== leader) as number;
    await Promise.all([cluster.kill(leader), cluster.kill(other)]);
    const next = await cluster.waitForLeader();
    expect([leader, other]).not.toContain(next);
    await writer.writeMany("three", 10);
    await writer.expectAllEverywhere();
    expect(writer.acknowledged).toHaveLength(20);
  }, 60_000);
});
