// Runs a nemesis plan against a proxied ProcessCluster: kill -9 and restart, SIGSTOP and SIGCONT,
// a node cut off both ways, a node that hears nobody (deaf), that nobody hears (unheard), or whose
// peers' answers on its own connections are lost (mute: handshakes and forwarded writes, since
// Raft messages travel on the sender's connection), one directed link cut one way, and no quorum
// at all (one node isolated, another paused). One fault at a time; each is undone after its hold,
// also when the run fails midway, and every fault that ran is logged with when and on whom.
import type { ProcessCluster } from "./process-cluster.ts";
import type { FaultKind, FaultStep } from "./nemesis-plan.ts";

type Undo = () => void | Promise<void>;

/** Where one fault lands: its node, the other end (never the node itself), and the rest. */
interface Target {
  node: number;
  peer: number;
  others: number[];
  who: string;
  step: FaultStep;
}

interface Fault {
  describe(t: Target): string;
  apply(c: ProcessCluster, t: Target): Undo | Promise<Undo>;
}

const healAll = (c: ProcessCluster): Undo => () => c.healAll();

const FAULTS: Record<FaultKind, Fault> = {
  kill: {
    describe: (t) => `kill -9 ${t.who}, restart after ${t.step.holdMs} ms`,
    apply: async (c, t) => {
      await c.kill(t.node);
      return () => c.start(t.node);
    },
  },
  pause: {
    describe: (t) => `SIGSTOP ${t.who} for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      c.signal(t.node, "SIGSTOP");
      return () => c.signal(t.node, "SIGCONT");
    },
  },
  isolate: {
    describe: (t) => `isolate ${t.who} both ways for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      c.isolate(t.node);
      return healAll(c);
    },
  },
  deaf: {
    describe: (t) => `${t.who} hears no peer (deaf) for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      for (const o of t.others) c.link(o, t.node).setMode("deaf");
      return healAll(c);
    },
  },
  unheard: {
    describe: (t) => `no peer hears ${t.who} for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      for (const o of t.others) c.link(t.node, o).setMode("deaf");
      return healAll(c);
    },
  },
  mute: {
    describe: (t) => `${t.who} gets no answer from its peers (mute) for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      for (const o of t.others) c.link(t.node, o).setMode("mute");
      return healAll(c);
    },
  },
  "one-way": {
    describe: (t) => `link ${t.node}>${t.peer} ${t.step.direction} for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      c.link(t.node, t.peer).setMode(t.step.direction);
      return healAll(c);
    },
  },
  "no-quorum": {
    describe: (t) => `isolate ${t.who} and SIGSTOP node ${t.peer}: no quorum for ${t.step.holdMs} ms`,
    apply: (c, t) => {
      c.isolate(t.node);
      c.signal(t.peer, "SIGSTOP");
      return () => {
        c.signal(t.peer, "SIGCONT");
        c.healAll();
      };
    },
  },
};

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
      const target = this.target(step);
      const fault = FAULTS[step.kind];
      this.counts.set(step.kind, (this.counts.get(step.kind) ?? 0) + 1);
      this.log.push(`${((performance.now() - this.started) / 1000).toFixed(1)}s ${fault.describe(target)}`);
      const undo = await fault.apply(this.cluster, target);
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

  /** The step's node, or the leader of the moment when the step aims at it and one is known. */
  private target(step: FaultStep): Target {
    const leader = this.leader();
    const node = step.onLeader && leader !== 0 && this.cluster.live().includes(leader) ? leader : step.node;
    const others = this.cluster.ids.filter((i) => i !== node);
    const peer = step.peer !== node ? step.peer : others[0]!;
    if (peer === node || !others.includes(peer)) throw new Error(`fault ${step.kind}: peer ${peer} is not another node than ${node}`);
    return { node, peer, others, who: `node ${node}${node === leader ? " (leader)" : ""}`, step };
  }
}
