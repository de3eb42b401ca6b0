// Client-side writes for the cluster tests: create topics through any live node, retrying across
// nodes while the cluster fails over; remembers every write that was acknowledged.
import { waitUntil } from "../../node/support/wait-until.ts";
import { http } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

export class TopicWriter {
  readonly acknowledged: string[] = [];
  private next = 0;

  constructor(private readonly cluster: ProcessCluster) {}

  /** Create one topic; resolves once some node answered 201 (or 409 for a retried create). */
  async write(prefix: string, timeoutMs = 15_000): Promise<string> {
    const name = `${prefix}-${this.next++}`;
    let attempts = 0;
    await waitUntil(
      `topic ${name} acknowledged`,
      async () => {
        const live = this.cluster.live();
        const id = live[attempts++ % live.length];
        const r = await http("POST", this.cluster.url(id, "/v1/topics"), { name });
        // A 409 after an earlier attempt means that attempt committed before its answer got lost.
        return r.status === 201 || (r.status === 409 && attempts > 1);
      },
      timeoutMs,
      20,
    );
    this.acknowledged.push(name);
    return name;
  }

  async writeMany(prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.write(prefix);
  }

  /** Topic names a node holds right now, read locally. */
  async staleTopics(id: number): Promise<Set<string>> {
    const r = await http("GET", this.cluster.url(id, "/v1/topics?consistency=stale"));
    if (r.status !== 200) throw new Error(`GET /v1/topics on node ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    const topics = (r.body as { topics: { fields: { name: string } }[] }).topics;
    return new Set(topics.map((t) => t.fields.name));
  }

  /** Every acknowledged write is on every live node (after they converge). */
  async expectAllEverywhere(timeoutMs = 15_000): Promise<void> {
    for (const id of this.cluster.live()) {
      await waitUntil(
        `node ${id} to hold all ${this.acknowledged.length} acknowledged topics`,
        async () => {
          const held = await this.staleTopics(id);
          return this.acknowledged.every((n) => held.has(n));
        },
        timeoutMs,
        50,
      );
    }
  }
}
