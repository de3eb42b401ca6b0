// The end of a nemesis run: once every link is healed and every node runs, wait (bounded) until
// all nodes have applied the same committed offset and hold the same topics and broker hosts,
// read locally from each node. Returns that common state, or fails saying what differed.
import { waitUntil } from "../../node/support/wait-until.ts";
import { http } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

export interface NodeState {
  applied: number;
  topics: string[];
  hosts: Record<string, string>;
}

export async function convergedState(cluster: ProcessCluster, timeoutMs: number): Promise<NodeState> {
  let last: (NodeState | null)[] = [];
  return waitUntil(
    `nodes ${cluster.live().join(",")} to converge on one state`,
    async () => {
      last = await Promise.all(cluster.live().map((id) => stateOf(cluster, id)));
      const first = last[0];
      if (!first || last.some((s) => s === null || JSON.stringify(s) !== JSON.stringify(first))) return null;
      return first;
    },
    timeoutMs,
    100,
  ).catch((e) => {
    const seen = last.map((s) => (s ? `applied ${s.applied}, ${s.topics.length} topics, hosts ${JSON.stringify(s.hosts)}` : "no answer"));
    throw new Error(`${(e as Error).message}; last seen: ${seen.join(" | ")}`);
  });
}

/** A node's applied offset, topics and broker hosts, read from its own state (stale reads). */
async function stateOf(cluster: ProcessCluster, id: number): Promise<NodeState | null> {
  const status = await cluster.status(id);
  const topics = await http("GET", cluster.url(id, "/v1/topics?consistency=stale"));
  const brokers = await http("GET", cluster.url(id, "/v1/brokers?all=true&consistency=stale"));
  const after = await cluster.status(id);
  // The state is only comparable if nothing was applied while it was being read.
  if (!status || !after || status.appliedOffset !== after.appliedOffset || topics.status !== 200 || brokers.status !== 200) return null;
  if (status.appliedOffset !== status.commitOffset) return null;
  const names = (topics.body as { topics: { fields: { name: string } }[] }).topics.map((t) => t.fields.name).sort();
  const hosts: Record<string, string> = {};
  for (const b of (brokers.body as { brokers: { fields: { brokerId: number; brokerHost: string } }[] }).brokers) {
    hosts[String(b.fields.brokerId)] = b.fields.brokerHost;
  }
  return { applied: status.appliedOffset, topics: names, hosts };
}
