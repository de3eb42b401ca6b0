// A voter that loses its disk never rejoins silently (issue 9 §4): started with the usual command
// on an emptied (`: > yakt.db`) or deleted database it refuses, saying what to do; formatted anew
// it presents a new directory id and the cluster does not count it as the voter it was — with
// another voter down, nothing commits through it — until an operator replaces it with remove-voter
// and add-voter, after which it catches up, counts and serves.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "../node/support/wait-until.ts";
import { consoleCommand } from "./support/console-client.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { TopicWriter } from "./support/topic-writer.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

interface ClusterView {
  leader: number;
  directoryId: string;
  membership: { voters: number[]; directoryIds?: Record<string, string> };
}

async function view(c: ProcessCluster, id: number): Promise<ClusterView | null> {
  const r = await http("GET", c.url(id, "/v1/cluster"));
  return r.status === 200 ? (r.body as ClusterView) : null;
}

/** Every live node's membership binds `id` to `directoryId`. */
async function waitBound(c: ProcessCluster, id: number, directoryId: string): Promise<void> {
  await waitUntil(`node ${id} bound to ${directoryId} everywhere`, async () => {
    const all = await Promise.all(c.live().map((n) => view(c, n)));
    return all.every((v) => v?.membership.directoryIds?.[String(id)] === directoryId);
  });
}

/**
 * A console command, repeated while the leader refuses it for a passing reason, as an operator
 * would: a change still in flight, or a voter it has not heard from yet (just after an election
 * the new leader may not yet have heard from the restarted node: "refused: … (quorum_at_risk)").
 */
async function operator(c: ProcessCluster, leader: number, line: string, done: RegExp): Promise<string> {
  return waitUntil(`${line} accepted`, async () => {
    const answer = await consoleCommand(c.adminPort(leader), line, done);
    return answer.includes("config_pending") || answer.includes("quorum_at_risk") ? null : answer;
  });
}

const WIPES = {
  "emptied (: > yakt.db)": (dataDir: string) => writeFileSync(join(dataDir, "yakt.db"), ""),
  "deleted (the whole data dir)": (dataDir: string) => rmSync(dataDir, { recursive: true, force: true }),
};

describe("a voter that lost its disk", () => {
  for (const [name, wipe] of Object.entries(WIPES)) {
    test(`${name}: refuses to start, and formatted anew is not counted until replaced`, async () => {
      const c = new ProcessCluster(3);
      cluster = c;
      c.startAll();
      const leader = await c.waitForLeader();
      const writer = new TopicWriter(c);
      await writer.writeMany("before", 5);
      const [wiped, other] = c.ids.filter((id) => id !== leader);
      const oldId = (await view(c, wiped))!.directoryId;
      await waitBound(c, wiped, oldId);

      await c.kill(wiped);
      wipe(c.dataDir(wiped));
      c.start(wiped); // the usual command
      const refused = await c.exited(wiped);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("refusing to start");
      expect(refused.stderr).toContain(`yakt format --cluster-id cluster-test --node-id ${wiped} --data-dir ${c.dataDir(wiped)}`);
      expect(refused.stderr).toContain(`remove-voter ${wiped}`);

      const formatted = c.format(wiped);
      const newId = /directory id ([0-9a-f-]{36})/.exec(formatted)?.[1] ?? "";
      expect(newId).not.toBe("");
      expect(newId).not.toBe(oldId);
      c.start(wiped);
      // Up with its new directory id, and in touch with the leader (links both ways are up).
      await waitUntil(`node ${wiped} up with its new directory id, hearing from ${leader}`, async () => {
        const v = await view(c, wiped);
        return v?.directoryId === newId && v.leader === leader;
      });

      // With the leader down, the other follower and the reformatted node are no majority: the
      // reformatted node's vote does not count, so no leader is elected and nothing commits.
      // (Were it counted, it would elect the other follower and then acknowledge its writes.)
      await c.kill(leader);
      const answers: number[] = [];
      for (let i = 0; i < 15; i++) {
        answers.push((await http("POST", c.url(other, "/v1/topics"), { name: "through-the-wiped-node" }, 1_500)).status);
        await Bun.sleep(200);
      }
      expect(answers).not.toContain(201);
      expect((await view(c, other))?.leader).toBe(0);
      expect((await view(c, other))?.membership.directoryIds?.[String(wiped)]).toBe(oldId);

      // The operator replaces it: remove-voter, then add-voter.
      c.start(leader);
      const lead = await c.waitForLeader();
      expect(await operator(c, lead, `remove-voter ${wiped}`, /removed|error/i)).toContain(`node ${wiped} removed`);
      // (Learner-first membership answers once the node is promoted; the answer's wording differs.)
      const added = await operator(c, lead, `add-voter ${wiped}@${c.peerAddress(wiped)}`, /added as a voter|promoted to voter|error/i);
      expect(added).toMatch(new RegExp(`node ${wiped} (added as a voter|caught up as a learner and was promoted to voter)`));
      await waitBound(c, wiped, newId);
      await writer.writeMany("after", 3);
      await writer.expectAllEverywhere();

      // Now it counts: with the other follower down, writes commit through it.
      await c.kill(other);
      await c.waitForLeader();
      await writer.writeMany("counted", 2);
      await writer.expectAllEverywhere();
    }, 90_000);
  }
});
