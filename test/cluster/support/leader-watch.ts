// Polls /v1/cluster on every node during a nemesis run and records, per term, the leader each
// answer names (a leader naming itself, or a follower naming the leader it follows). Raft's
// election safety says a term has at most one leader: two different names for one term is a
// violation. Each node is polled by its own loop, so a paused node delays only its own polls.
import { http } from "./http.ts";
import type { ProcessCluster } from "./process-cluster.ts";

interface StatusBody {
  nodeId: number;
  role: string;
  leader: number;
  term: number;
}

export class LeaderWatch {
  /** term → the leader first seen for it, and which node said so. */
  private readonly leaders = new Map<number, { leader: number; seenBy: number }>();
  readonly violations: string[] = [];
  observations = 0;
  /** The leader of the highest term seen so far (0 when none). */
  latestLeader = 0;
  private latestTerm = -1;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    if (this.running) throw new Error("leader watch already started");
    this.running = true;
    this.loops = this.cluster.ids.map((id) => this.poll(id));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Terms in which some leader was seen. */
  get terms(): number {
    return this.leaders.size;
  }

  record(s: StatusBody): void {
    const leader = s.role === "leader" ? s.nodeId : s.leader;
    if (!leader) return;
    this.observations++;
    const seen = this.leaders.get(s.term);
    if (!seen) this.leaders.set(s.term, { leader, seenBy: s.nodeId });
    else if (seen.leader !== leader) {
      this.violations.push(`term ${s.term}: node ${seen.seenBy} saw leader ${seen.leader}, node ${s.nodeId} saw leader ${leader}`);
    }
    if (s.term > this.latestTerm) {
      this.latestTerm = s.term;
      this.latestLeader = leader;
    }
  }

  private async poll(id: number): Promise<void> {
    while (this.running) {
      const r = await http("GET", this.cluster.url(id, "/v1/cluster"), undefined, 500);
      if (r.status === 200) this.record(r.body as StatusBody);
      await Bun.sleep(this.everyMs);
    }
  }
}
