// `yakt recover` on real processes: a 3-node cluster loses two nodes for good; the survivor is
// stopped, recovered as the only voter, restarted, serves writes and keeps every acknowledged write
// from before; a freshly formatted node then joins it through add-voter.
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { consoleCommand } from "./support/console-client.ts";
import { http } from "./support/http.ts";
import { BINARY, ProcessCluster } from "./support/process-cluster.ts";
import { TopicWriter } from "./support/topic-writer.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

function recover(dataDir: string, voters: string): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([BINARY, "recover", "--data-dir", dataDir, "--voters", voters], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("yakt recover", () => {
  test("a survivor of a lost quorum is recovered, keeps every acknowledged write and serves new ones", async () => {
    cluster = new ProcessCluster(4, [], 3);
    cluster.startAll();
    const leader = await cluster.waitForLeader();
    const writer = new TopicWriter(cluster);
    await writer.writeMany("before", 10);
    const survivor = cluster.ids.find((id) => id !== leader && id <= 3) as number;
    for (const id of [1, 2, 3].filter((i) => i !== survivor)) await cluster.kill(id);
    const stuck = await http("POST", cluster.url(survivor, "/v1/topics"), { name: "no-quorum" }, 15_000);
    expect(stuck.status).toBe(503);

    const voters = `${survivor}@${cluster.peerAddress(survivor)}`;
    const refused = recover(cluster.dataDir(survivor), voters);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("is in use by a running node: stop it first");

    await cluster.kill(survivor);
    const wrong = recover(cluster.dataDir(survivor), `4@${cluster.peerAddress(4)}`);
    expect(wrong.err).toContain(`--voters must include this node (${survivor})`);
    const done = recover(cluster.dataDir(survivor), voters);
    expect(done.err).toBe("");
    expect(done.code).toBe(0);
    expect(done.out).toContain(`now voters [${survivor}], learners []`);

    cluster.start(survivor);
    expect(await cluster.waitForLeader()).toBe(survivor);
    await writer.writeMany("recovered", 5);
    await writer.expectAllEverywhere();
    expect(writer.acknowledged).toHaveLength(15);

    cluster.start(4); // formatted anew (a fresh data dir), a joiner until added
    const added = await consoleCommand(cluster.adminPort(survivor), `add-voter 4@${cluster.peerAddress(4)}`, /(promoted to voter.*|error: .*)\r\n/, 20_000);
    expect(added).toContain("node 4 caught up as a learner and was promoted to voter");
    await writer.writeMany("joined", 5);
    await writer.expectAllEverywhere();
    const c = cluster;
    await waitUntil("both nodes list voters [survivor, 4]", async () => {
      const all = await Promise.all(c.live().map((id) => c.status(id)));
      return all.every((s) => s !== null && s.membership.voters.length === 2 && s.membership.voters.includes(4));
    });
  }, 90_000);
});
