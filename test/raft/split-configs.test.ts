// Voters first started with different configurations (an operator's typo in one node's --peers)
// elect leaders that Raft's premises do not allow: two in one term, or a leader whose entries
// differ from what a follower committed. The core cannot undo that; it must not take the other
// log's entries, and it must say so once, loudly (the runtime logs these events as errors).
import { describe, expect, test } from "bun:test";
import { Raft } from "../../src/raft/raft.ts";
import { Cluster, membership } from "./harness.ts";

type Logged = { node: number; event: string; fields: Record<string, unknown> };

/** Nodes 1 and 2 start with voters [1,2,3]; node 3 with itself alone. */
function splitCluster(events: Logged[]): Cluster {
  return new Cluster([1, 2, 3], {
    factory: (cfg, r) =>
      new Raft(
        {
          ...cfg,
          initialMembership: cfg.id === 3 ? membership([3]) : cfg.initialMembership,
          logger: (event, fields) => events.push({ node: cfg.id, event, fields }),
        },
        r,
      ),
  });
}

const alarms = (events: Logged[], event: string) => events.filter((e) => e.event === event);

describe("voters whose first configurations disagree", () => {
  test("a leader that hears another leader of its own term says so once and takes nothing from it", () => {
    const events: Logged[] = [];
    const c = splitCluster(events);
    c.elect(3); // alone in its configuration: leads term 1 by itself
    c.propose(3, "only-on-3");
    c.elect(1); // nodes 1 and 2 elect node 1 in term 1 too
    expect(c.leaders().sort()).toEqual([1, 3]);
    expect(c.raft(1).status().term).toBe(c.raft(3).status().term);
    const lastOf3 = c.raft(3).status().lastIndex;
    c.tick(5); // node 1's heartbeats and appends reach node 3 again and again
    const raised = alarms(events, "raft.two-leaders");
    expect(raised.length).toBe(1);
    expect(raised[0]).toMatchObject({ node: 3, fields: { from: 1, term: 1, role: "leader" } });
    expect(String(raised[0].fields.reason)).toContain("--peers");
    expect(c.raft(3).status().lastIndex).toBe(lastOf3);
    expect(c.node(3).applied).toEqual(["only-on-3"]);
  });

  test("a follower whose committed entry differs from its new leader's refuses the append, said once", () => {
    const events: Logged[] = [];
    const c = splitCluster(events);
    c.elect(3);
    c.propose(3, "only-on-3"); // index 2, term 1, committed by node 3 alone
    c.cutLink(1, 3);
    c.cutLink(2, 3);
    c.elect(1); // term 1: index 1 on nodes 1 and 2
    c.raft(1).transferLeader(2); // term 2: index 2 at term 2, where node 3 committed its own entry at term 1
    c.stabilize();
    expect(c.leaders().sort()).toEqual([2, 3]);
    c.heal();
    c.tick(5); // node 2 (term 2) deposes node 3 and sends it entry 2
    const raised = alarms(events, "raft.app-dropped");
    expect(raised.length).toBe(1);
    expect(raised[0]).toMatchObject({ node: 3, fields: { from: 2, conflict: 2, commit: 2 } });
    expect(String(raised[0].fields.reason)).toContain("different clusters");
    expect(c.node(3).applied).toEqual(["only-on-3"]);
    expect(c.node(3).disk.entries.map((e) => `${e.index}@${e.term}`)).toEqual(["1@1", "2@1"]);
    expect(c.node(1).applied).toEqual([]);
  });
});
