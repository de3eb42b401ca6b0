// Metadata calls of the cluster tests against one node of a ProcessCluster: broker registration,
// heartbeats, status reads and counters, each bounded and failing with what the node answered.
import { waitUntil } from "../../node/support/wait-until.ts";
import { http, type HttpAnswer } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

export interface RecordBody {
  name: string;
  offset: number;
  timestamp: string;
  fields: Record<string, unknown>;
}

export function brokerBody(brokerId: number): Record<string, unknown> {
  return { brokerId, brokerHost: "127.0.0.1", brokerPort: String(9000 + brokerId), securityProtocol: "PLAINTEXT", rackId: `rack-${brokerId % 3}` };
}

/** A call whose status must be `expected`; returns the body. */
export async function expectStatus(answer: Promise<HttpAnswer>, expected: number, what: string): Promise<unknown> {
  const r = await answer;
  if (r.status !== expected) throw new Error(`${what}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function registerBroker(cluster: ProcessCluster, node: number, brokerId: number): Promise<RecordBody> {
  const body = await expectStatus(http("POST", cluster.url(node, "/v1/brokers"), brokerBody(brokerId)), 201, `register broker ${brokerId} on node ${node}`);
  return body as RecordBody;
}

/** One BrokerMgmt fetch, which is the broker's heartbeat; short timeout so a dead node costs little. */
export function heartbeat(cluster: ProcessCluster, node: number, brokerId: number, timeoutMs = 400): Promise<HttpAnswer> {
  return http("POST", cluster.url(node, "/v1/broker-mgmt/metadata"), { brokerId }, timeoutMs);
}

/** The broker's status as `node` holds it right now (stale read), or null if it does not answer. */
export async function staleStatus(cluster: ProcessCluster, node: number, brokerId: number): Promise<string | null> {
  const r = await http("GET", cluster.url(node, `/v1/brokers/${brokerId}?consistency=stale`), undefined, 1_000);
  return r.status === 200 ? String((r.body as RecordBody).fields.brokerStatus) : null;
}

/** Every live node holds the broker with this status. */
export async function expectStatusEverywhere(cluster: ProcessCluster, brokerId: number, status: string, timeoutMs = 10_000): Promise<void> {
  let seen: (string | null)[] = [];
  await waitUntil(
    `broker ${brokerId} to be ${status} on nodes ${cluster.live().join(",")}`,
    async () => {
      seen = await Promise.all(cluster.live().map((id) => staleStatus(cluster, id, brokerId)));
      return seen.every((s) => s === status);
    },
    timeoutMs,
    25,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; last seen ${JSON.stringify(seen)}`);
  });
}

/** Every record the node's event log holds (the tests write far fewer than one page). */
export async function logRecords(cluster: ProcessCluster, node: number): Promise<RecordBody[]> {
  const body = await expectStatus(http("GET", cluster.url(node, "/v1/log?from=0&limit=1000")), 200, `GET /v1/log on node ${node}`);
  return (body as { records: RecordBody[] }).records;
}

/** One counter of the node's /metrics, or -1 when absent. */
export async function metric(cluster: ProcessCluster, node: number, name: string): Promise<number> {
  const r = await http("GET", cluster.url(node, "/metrics"));
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(String(r.body));
  return m ? Number(m[1]) : -1;
}
