// Issue 9 §1 on real processes: the three add-voters that used to wedge a 3-node cluster for good
// (a bad address, a host that never answers, another node's address) are each refused or left a
// learner; afterwards the cluster still commits, and still elects a leader after all three restart.
import { afterEach, describe, expect, test } from "bun:test";
import { http } from "./support/http.ts";
import { consoleCommand } from "./support/console-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { TopicWriter } from "./support/topic-writer.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const ANSWER = /(promoted to voter.*|error: .*)\r\n/;

describe("membership changes cannot wedge the cluster", () => {
  test("the issue's three add-voters: refused, left a learner, refused; the cluster commits and survives a full restart", async () => {
    cluster = new ProcessCluster(3, ["--promotion-timeout-ms", "1000"]);
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("before", 5);
    const admin = cluster.adminPort(leader);

    const bad = await consoleCommand(admin, "add-voter 4@256.256.256.256:1", ANSWER);
    expect(bad).toContain('error: host "256.256.256.256" is not an IPv4 address (four numbers 0-255) in "256.256.256.256:1" (bad_argument)');

    const silent = await consoleCommand(admin, "add-voter 5@no-such-host.invalid:1", ANSWER, 20_000);
    expect(silent).toContain("error: node 5 was not promoted to voter: after 1000 ms it is never contacted (last contact: never)");
    expect(silent).toContain("(not_caught_up)");

    const taken = await consoleCommand(admin, `add-voter 6@${cluster.peerAddress(1)}`, ANSWER);
    expect(taken).toContain(`error: address ${cluster.peerAddress(1)} is already node 1's (member_exists)`);

    const members = await consoleCommand(admin, "members", /learner.*\r\n/);
    expect(members).toMatch(/ 5 {2}learner {2}no-such-host\.invalid:1 +\(not bound yet\) +\d+ {2}never contacted/);
    const view = (await http("GET", cluster.url(leader, "/v1/cluster"))).body as { membership: { voters: number[]; learners: number[] } };
    expect(view.membership).toMatchObject({ voters: [1, 2, 3], learners: [5] });

    await writer.writeMany("after-adds", 5);
    for (const id of cluster.ids) await cluster.kill(id);
    cluster.startAll();
    await cluster.waitForLeader();
    await writer.writeMany("after-restart", 5);
    await writer.expectAllEverywhere();
    expect(writer.acknowledged).toHaveLength(15);
  }, 90_000);
});
