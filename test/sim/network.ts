// The simulated network: every message gets a seeded delay (so messages reorder), may be dropped
// or duplicated, and is cut when its link is partitioned. Links are directed, so a partition can
// be symmetric (both directions cut) or asymmetric (one direction only).
import type { Message, NodeId } from "../../src/raft/types.ts";
import type { EventQueue } from "./event-queue.ts";
import type { Prng } from "./prng.ts";

export interface NetworkOptions {
  minDelay: number;
  maxDelay: number;
  /** Probability a message is held back much longer than usual (up to 10 × maxDelay): reordering. */
  slowRate: number;
  dropRate: number;
  dupRate: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cut: number;
}

/** A copy as the wire would produce: the receiver must never share mutable objects with the sender. */
export function copyMessage(m: Message): Message {
  return {
    ...m,
    entries: m.entries.map((e) => ({ ...e })),
    snapshot: m.snapshot === null ? null : { ...m.snapshot, meta: { ...m.snapshot.meta } },
  };
}

export class SimNetwork {
  private readonly cutLinks = new Set<string>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cut: 0 };

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Prng,
    private options: NetworkOptions,
    private readonly deliver: (m: Message) => void,
    /** Label deliveries with every field that matters (verbose replays); off in campaigns for speed. */
    private readonly detailed: boolean,
  ) {
    if (!(options.minDelay >= 0 && options.maxDelay >= options.minDelay)) {
      throw new RangeError(`network delays must satisfy 0 <= min <= max, got ${options.minDelay}, ${options.maxDelay}`);
    }
  }

  /** Replace the link behaviour (delays, loss) from now on; messages in flight keep theirs. */
  reconfigure(options: NetworkOptions): void {
    this.options = { ...options };
  }

  setLossy(dropRate: number, dupRate: number): void {
    this.options = { ...this.options, dropRate, dupRate };
  }

  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(`${from}>${to}`);
  }

  /** Cut every link between the two groups, in both directions. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut(x, y);
        this.cut(y, x);
      }
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  cutCount(): number {
    return this.cutLinks.size;
  }

  send(m: Message): void {
    this.stats.sent++;
    if (this.isCut(m.from, m.to)) {
      this.stats.cut++;
      return;
    }
    if (this.rng.chance(this.options.dropRate)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.chance(this.options.dupRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const wire = copyMessage(m);
      const label = this.detailed ? `deliver ${describeMessage(m)}` : `deliver ${m.type} ${m.from}→${m.to}`;
      this.queue.after(this.delay(), label, () => {
        this.stats.delivered++;
        this.deliver(wire);
      });
    }
  }

  /**
   * Carry something other than a Raft message (a peer request or its reply) over the link: cut,
   * lost and delayed like a message, never duplicated (the transport's request ids would drop a copy).
   */
  carry(from: NodeId, to: NodeId, label: string, run: () => void): boolean {
    if (this.isCut(from, to) || this.rng.chance(this.options.dropRate)) return false;
    this.queue.after(this.delay(), label, run);
    return true;
  }

  private delay(): number {
    const { minDelay, maxDelay, slowRate } = this.options;
    const base = this.rng.int(minDelay, maxDelay);
    return this.rng.chance(slowRate) ? base + this.rng.int(maxDelay, 10 * maxDelay) : base;
  }
}

export function describeMessage(m: Message): string {
  const parts = [`${m.type} ${m.from}→${m.to} term=${m.term}`];
  if (m.index || m.logTerm) parts.push(`index=${m.index} logTerm=${m.logTerm}`);
  if (m.entries.length > 0) parts.push(`entries=${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}`);
  if (m.commit) parts.push(`commit=${m.commit}`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}`);
  if (m.context) parts.push(`ctx=${m.context}`);
  if (m.force) parts.push("force");
  const c = m.snapshot;
  if (c !== null) parts.push(`snap@${c.meta.index}/${c.meta.term} off=${c.offset} len=${c.data.length}/${c.total}${c.done ? " done" : ""}`);
  return parts.join(" ");
}
