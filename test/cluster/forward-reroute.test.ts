// Real processes: the leader is SIGSTOPped while a follower forwards writes to it. The follower
// re-routes them to the new leader as soon as it learns of it, so they are answered long before
// the 10 s forward timeout; after SIGCONT nothing has been applied twice, and a client's retry
// under its Idempotency-Key gets the first answer back.
import { afterEach, describe, expect, test } from "bun:test";
import { http, type HttpAnswer } from "./support/http.ts";
import { type RecordBody, logRecords, metric } from "./support/metadata-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { waitUntil } from "../node/support/wait-until.ts";

let cluster: ProcessCluster | null = null;
let stopped: number | null = null;

afterEach(async () => {
  if (cluster && stopped !== null) process.kill(cluster.pid(stopped), "SIGCONT");
  stopped = null;
  await cluster?.stopAll();
  cluster = null;
});

/** Far under the 10 s forward timeout: an answer within it was not left to time out. */
const ANSWER_BOUND_MS = 5_000;
/**
 * Elections after 500-1000 ms of silence: the writes, sent right after the SIGSTOP, are then surely
 * waiting at the stopped leader when the follower learns of the next one (with the default
 * 100-200 ms a slow test process could send them only after the election, and none is re-routed).
 */
const SLOWER_ELECTIONS = ["--election-ticks", "50"];
const WRITES = 6;

function createTopic(c: ProcessCluster, node: number, name: string, key?: string): Promise<HttpAnswer> {
  return http("POST", c.url(node, "/v1/topics"), { name }, ANSWER_BOUND_MS, { headers: key === undefined ? {} : { "Idempotency-Key": key } });
}

function topicCounts(records: RecordBody[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) if (r.name === "TopicRecord") counts.set(String(r.fields.name), (counts.get(String(r.fields.name)) ?? 0) + 1);
  return counts;
}

describe("a follower forwarding to a SIGSTOPped leader", () => {
  test("the writes are answered by the new leader well within the forward timeout, each applied once", async () => {
    const c = new ProcessCluster(3, SLOWER_ELECTIONS);
    cluster = c;
    c.startAll();
    // On a loaded machine leadership can move right after the first election (a 503 to the first
    // write): the warm-up is retried under its key until it lands through a follower of a leader
    // that is still the leader afterwards.
    const { leader, follower } = await waitUntil(
      "a warm-up write through a follower of a steady leader",
      async () => {
        const first = await c.waitForLeader();
        const via = c.ids.find((id) => id !== first) as number;
        if ((await createTopic(c, via, "warm-up", "warm-up")).status !== 201) return null;
        return (await c.waitForLeader()) === first ? { leader: first, follower: via } : null;
      },
      30_000,
      100,
    );

    process.kill(c.pid(leader), "SIGSTOP");
    stopped = leader;
    const plain = Array.from({ length: WRITES }, (_, i) => createTopic(c, follower, `plain-${i}`));
    const keyed = Array.from({ length: WRITES }, (_, i) => createTopic(c, follower, `keyed-${i}`, `key-${i}`));
    const answers = await Promise.all([...plain, ...keyed]);
    // Status 0 would be the client's bound passing: a write left waiting on the stopped leader.
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(await metric(c, follower, "yakt_raft_forwards_rerouted_total")).toBeGreaterThanOrEqual(1);

    process.kill(c.pid(leader), "SIGCONT");
    stopped = null;
    await c.waitForLeader();
    const retried = await Promise.all(Array.from({ length: WRITES }, (_, i) => createTopic(c, follower, `keyed-${i}`, `key-${i}`)));
    expect(retried.map((a) => a.body)).toEqual(answers.slice(WRITES).map((a) => a.body));

    const names = ["warm-up", ...answers.map((a) => String((a.body as { topic: RecordBody }).topic.fields.name))];
    for (const id of c.live()) {
      const holdsAll = async () => {
        const held = topicCounts(await logRecords(c, id));
        return names.every((n) => held.has(n)) ? held : null;
      };
      const counts = await waitUntil(`node ${id} to hold every topic`, holdsAll, 15_000, 50);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(counts.size).toBe(names.length);
    }
  }, 60_000);
});
