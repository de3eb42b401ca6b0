// A broker heartbeating from the test at a fixed pace, to every live node at once so a dead or
// leaderless node does not starve it. Each call is bounded; calls never pile up per node.
import type { ProcessCluster } from "./process-cluster.ts";
import { heartbeat } from "./metadata-client.ts";

export class HeartbeatPacer {
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly inflight = new Map<number, Promise<void>>();
  /** Heartbeats some node answered 200. */
  acknowledged = 0;

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly brokerId: number,
    everyMs: number,
  ) {
    if (!(everyMs > 0)) throw new RangeError(`heartbeat pace must be positive, got ${everyMs}`);
    this.timer = setInterval(() => this.beat(), everyMs);
    this.beat();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inflight.values());
  }

  private beat(): void {
    for (const node of this.cluster.live()) {
      if (this.inflight.has(node)) continue;
      const call = heartbeat(this.cluster, node, this.brokerId).then((r) => {
        if (r.status === 200) this.acknowledged++;
        this.inflight.delete(node);
      });
      this.inflight.set(node, call);
    }
  }
}
