// Issue 13's liveness gap on real processes: a member whose log ends before the config entry that
// added the current leader has no address for that leader, and used to refuse its handshake for
// good ("not in the peer list"). With handshake version 3 the leader's Hello carries its address,
// so the lagging member learns it and answers. Here node 3 sleeps through node 4's arrival, the
// move of leadership to 4 and the removal of node 1, then comes back with its ORIGINAL --peers
// (1,2,3) and must catch up with every write.
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

describe("a lagging member reaches a leader it has never heard of", () => {
  test("node 3, restarted with the original --peers after node 4 took over and node 1 left, catches up", async () => {
    // 4 nodes, the first 3 the initial voters: node 4 (and node 3 on restart) start with --peers 1,2,3.
    cluster = new ProcessCluster(4, ["--promotion-timeout-ms", "10000"], 3);
    const c = cluster;
    c.startAll();
    await c.waitForLeader();
    const writer = new TopicWriter(c);
    await writer.writeMany("all-three", 3);
    // Node 3 must have the first config (and its binding) in its log, then it stops.
    await writer.expectAllEverywhere();
    await c.kill(3);
    const leader = await c.waitForLeader();
    c.start(4);
    const added = await consoleCommand(c.adminPort(leader), `add-voter 4@${c.peerAddress(4)}`, /promoted to voter|error/i, 30_000);
    expect(added).toContain("node 4 caught up as a learner and was promoted to voter");
    if (leader !== 4) {
      const moved = await consoleCommand(c.adminPort(leader), "transfer-leader 4", /leadership transferred|error/i, 15_000);
      expect(moved).toContain("leadership transferred to node 4");
    }
    await waitUntil("node 4 to lead", async () => (await c.status(4))?.role === "leader", 15_000, 25);
    // A new leader refuses membership changes until an entry of its term has committed (Raft's
    // single-server change rule); node 4 may report itself leader just before that, so the one
    // refusal that says so is asked again, within a bound.
    const removed = await waitUntil(
      "node 4 to accept remove-voter 1",
      async () => {
        const answer = await consoleCommand(c.adminPort(4), "remove-voter 1", /removed;|error/i, 15_000);
        return /has not committed an entry of its term yet/.test(answer) ? null : answer;
      },
      15_000,
      50,
    );
    expect(removed).toContain("node 1 removed; voters: 2, 3, 4");
    await c.kill(1);
    await writer.writeMany("without-3", 5);

    // Node 3 knows nodes 1, 2, 3 only; the leader is 4.
    c.start(3);
    await writer.expectAllEverywhere(30_000);
    const s3 = await c.status(3);
    expect(s3?.leader).toBe(4);
    expect([...(s3?.membership.voters ?? [])].sort()).toEqual([2, 3, 4]);
    // 3 let 4 in as a learned peer; once its log named 4 a member, 4 became a normal peer.
    expect(c.log(3)).toMatch(new RegExp(`"peer_learned".*"peer":4,"address":"${c.peerAddress(4)}"`));
    // Each advertises its own membership entry: 3 its --peers entry, 4 (no entry) its --listen-peer.
    expect(c.log(3)).toContain(`"advertised":"${c.peerAddress(3)}"`);
    expect(c.log(3)).not.toContain("is not in the peer list of node 3");
    const metrics = await (await fetch(c.url(3, "/metrics"))).text();
    expect(metrics).toMatch(/^yakt_transport_learned_peers 0$/m);
  }, 120_000);
});
