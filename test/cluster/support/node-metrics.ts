// Reads one counter from a node's Prometheus text (/metrics), for cluster tests that check or
// report what a node did (e.g. snapshots installed from the leader).
import { http } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

/** The counter's value on node `id`, or -1 when the node does not answer or lacks it. */
export async function nodeCounter(cluster: ProcessCluster, id: number, name: string): Promise<number> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a metric name: ${JSON.stringify(name)}`);
  const r = await http("GET", cluster.url(id, "/metrics"));
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(String(r.body));
  return m ? Number(m[1]) : -1;
}
