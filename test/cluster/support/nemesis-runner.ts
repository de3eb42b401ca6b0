// Runs a nemesis plan against a proxied ProcessCluster: kill -9 and restart, SIGSTOP and SIGCONT,
// a node cut off both ways, a node that hears nobody (deaf), that nobody hears (unheard), or whose
// peers' answers on its own connections are lost (mute: handshakes and forwarded writes, since
// Raft messages travel on the sender's connection), one directed link cut one way. One fault at a
// time; each is undone after its hold, also when the run fails midway, and every fault that ran
// is logged with when and on whom.
import type { ProcessCluster } from "./process-cluster.ts";
import type { FaultKind, FaultStep } from "./nemesis-plan.ts";

type Undo = () => void | Promise<void>;

export class NemesisRunner {
  readonly log: string[] = [];
  readonly counts = new Map<FaultKind, number>();
  private readonly started = performance.now();

  constructor(
    private readonly cluster: ProcessCluster,
    /** The leader as last observed (0 when unknown). */
    private readonly leader: () => number,
  ) {}

  async run(plan: readonly FaultStep[], running: () => boolean): Promise<void> {
    for (const step of plan) {
      if (!running()) return;
      const node = this.target(step);
      const undo = await this.apply(step, node);
      try {
        await Bun.sleep(step.holdMs);
      } finally {
        await undo();
      }
      await Bun.sleep(step.gapMs);
    }
  }

  /** A readable summary: how many faults of each kind ran. */
  summary(): string {
    return [...this.counts].map(([k, n]) => `${k}×${n}`).join(", ");
  }

  private target(step: FaultStep): number {
    const leader = this.leader();
    return step.onLeader && leader !== 0 && this.cluster.live().includes(leader) ? leader : step.node;
  }

  private async apply(step: FaultStep, node: number): Promise<Undo> {
    const others = this.cluster.ids.filter((i) => i !== node);
    const peer = step.peer !== node ? step.peer : others[0]!;
    const who = `node ${node}${node === this.leader() ? " (leader)" : ""}`;
    const at = ((performance.now() - this.started) / 1000).toFixed(1);
    this.counts.set(step.kind, (this.counts.get(step.kind) ?? 0) + 1);
    const heal = () => this.cluster.healAll();
    switch (step.kind) {
      case "kill":
        this.log.push(`${at}s kill -9 ${who}, restart after ${step.holdMs} ms`);
        await this.cluster.kill(node);
        return () => this.cluster.start(node);
      case "pause":
        this.log.push(`${at}s SIGSTOP ${who} for ${step.holdMs} ms`);
        this.cluster.signal(node, "SIGSTOP");
        return () => this.cluster.signal(node, "SIGCONT");
      case "isolate":
        this.log.push(`${at}s isolate ${who} both ways for ${step.holdMs} ms`);
        this.cluster.isolate(node);
        return heal;
      case "deaf":
        this.log.push(`${at}s ${who} hears no peer (deaf) for ${step.holdMs} ms`);
        for (const o of others) this.cluster.link(o, node).setMode("deaf");
        return heal;
      case "unheard":
        this.log.push(`${at}s no peer hears ${who} for ${step.holdMs} ms`);
        for (const o of others) this.cluster.link(node, o).setMode("deaf");
        return heal;
      case "mute":
        this.log.push(`${at}s ${who} gets no answer from its peers (mute) for ${step.holdMs} ms`);
        for (const o of others) this.cluster.link(node, o).setMode("mute");
        return heal;
      case "one-way":
        this.log.push(`${at}s link ${node}>${peer} ${step.direction} for ${step.holdMs} ms`);
        this.cluster.link(node, peer).setMode(step.direction);
        return heal;
    }
  }
}
