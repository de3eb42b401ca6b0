// One node first started with other --peers than the rest (an operator's typo: node 3 given only
// itself) is a cluster of its own under the same cluster id. Before founding voters were kept, it
// and the real cluster's leader both led term 1 and the split never healed, even after node 3 was
// restarted with the right --peers. Now every handshake between them is refused, both ways, with a
// reason that says what to do; the real cluster elects, writes and never hears node 3's leader.
import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const TWO_CLUSTERS = "node 1 was first started with voters [1,2,3], node 3 with [3]: two clusters";

async function createTopic(c: ProcessCluster, id: number, name: string): Promise<number> {
  return (await http("POST", c.url(id, "/v1/topics"), { name })).status;
}

describe("a node first started with other --peers", () => {
  test("is refused by the others at every handshake, also once restarted with the right --peers", async () => {
    let alone = true;
    const c: ProcessCluster = new ProcessCluster(3, [], 3, { nodeFlags: (id: number): string[] => (id === 3 && alone ? ["--peers", `3@${c.peerAddress(3)}`] : []) });
    cluster = c;
    c.start(3);
    await waitUntil("node 3 leads itself", async () => ((await c.status(3))?.leader === 3 ? true : null));
    expect(await createTopic(c, 3, "only-on-3")).toBe(201);

    c.start(1);
    c.start(2);
    const leader = await waitUntil("nodes 1 and 2 agree on a leader", async () => {
      const [s1, s2] = await Promise.all([c.status(1), c.status(2)]);
      return s1 !== null && s1.leader !== 0 && s1.leader !== 3 && s1.leader === s2?.leader ? s1.leader : null;
    });
    expect(await createTopic(c, leader, "on-the-cluster")).toBe(201);
    await waitUntil("the refusal logged on both sides", async () => (c.log(3).includes(TWO_CLUSTERS) && c.log(1).includes(TWO_CLUSTERS) ? true : null));
    expect((await c.status(3))?.leader).toBe(3); // still its own cluster: nothing crossed
    for (const id of [1, 3]) {
      const line = c.log(id).split("\n").find((l) => l.includes(TWO_CLUSTERS)) ?? "{}";
      expect(JSON.parse(line)).toMatchObject({ level: "warn", event: "handshake_refused" }); // an operator's to fix
    }

    await c.kill(3);
    alone = false; // the right --peers now; its founders are kept in its data dir
    c.start(3);
    await waitUntil("node 3 refused again after its restart", async () => (c.log(3).includes(TWO_CLUSTERS) ? true : null));
    expect(await createTopic(c, leader, "still-writable")).toBe(201);
    const names = JSON.stringify((await http("GET", c.url(leader, "/v1/topics"))).body);
    expect(names).toContain("on-the-cluster");
    expect(names).not.toContain("only-on-3");
    for (const id of [1, 2, 3]) expect(c.log(id)).not.toContain("raft.two-leaders");
  }, 60_000);
});
