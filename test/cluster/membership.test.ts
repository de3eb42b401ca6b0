// A fourth process joins a running 3-node cluster: started with the cluster's --peers (it is not
// among them), added as a voter through the leader's operator console, it catches up and votes.
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { consoleCommand } from "./support/console-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { TopicWriter } from "./support/topic-writer.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

describe("membership change across processes", () => {
  test("add-voter on the console brings a joining node in; it holds every write", async () => {
    cluster = new ProcessCluster(4, [], 3);
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("pre-join", 5);
    cluster.start(4);
    const answer = await consoleCommand(cluster.adminPort(leader), `add-voter 4@${cluster.peerAddress(4)}`, /promoted to voter|error/i);
    expect(answer).toContain("node 4 caught up as a learner and was promoted to voter");
    await writer.writeMany("post-join", 5);
    await writer.expectAllEverywhere();
    const c = cluster;
    await waitUntil("every node to list 4 as a voter", async () => {
      const all = await Promise.all(c.live().map((id) => c.status(id)));
      return all.every((s) => s?.membership.voters.includes(4));
    });
  }, 60_000);
});
