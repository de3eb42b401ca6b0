// The leader's bulky messages, held back so that each goes out in a turn of the event loop of its
// own, after everything light. A snapshot chunk is a synchronous SQLite read of 1 MiB, which on a
// busy disk held a leader's loop 70 ms with no CPU spent, and a catching-up follower's Apps are up
// to a full inflight window (8 MiB) to encode, frame and write at once (issue 10: a follower
// restarted into a 1M-partition cluster, the other follower's lease ran out while the leader
// caught it up, and the restarted node deposed it). So the light messages of a Ready (every
// heartbeat, vote, answer and small App) go first, and the bulky ones wait here and leave one per
// turn, the followers in turn. A follower's messages from its first held one on wait with it, so
// each peer still gets its messages in the order the core sent them.
import type { Message, NodeId } from "../raft/types.ts";
import { invariant } from "./errors.ts";

/** A snapshot chunk (still unfilled: reading it is the work), or an App carrying more than `bulkAppBytes` of entry data. */
export function isBulky(m: Message, bulkAppBytes: number): boolean {
  if (m.type === "Snap") return true;
  if (m.type !== "App") return false;
  let bytes = 0;
  for (const e of m.entries) {
    bytes += e.data.length;
    if (bytes > bulkAppBytes) return true;
  }
  return false;
}

/**
 * Messages held back per follower, in the core's order, each run headed by a bulky message.
 * admit() takes a batch and gives back what may go now; take() gives one follower's bulky message
 * and the light ones behind it, the followers in turn.
 */
export class SendBacklog {
  private readonly held = new Map<NodeId, Message[]>();

  constructor(private readonly bulkAppBytes: number) {}

  get size(): number {
    let n = 0;
    for (const run of this.held.values()) n += run.length;
    return n;
  }

  /** The messages of `batch` that may be sent now: those to a follower with nothing bulky among or before them. */
  admit(batch: Message[]): Message[] {
    const now: Message[] = [];
    for (const m of batch) {
      const run = this.held.get(m.to);
      if (run !== undefined) run.push(m);
      else if (isBulky(m, this.bulkAppBytes)) this.held.set(m.to, [m]);
      else now.push(m);
    }
    return now;
  }

  /**
   * The oldest held follower's run: its next bulky message and the light ones after it up to its
   * next bulky one, or null when nothing is held. That next bulky one stays held, for a later
   * call, the follower moved behind the others.
   */
  take(): Message[] | null {
    const first = this.held.entries().next();
    if (first.done) return null;
    const [to, run] = first.value;
    invariant(run.length > 0 && isBulky(run[0], this.bulkAppBytes), () => `messages to ${to} held back without a bulky one at their head`);
    this.held.delete(to);
    const next = run.findIndex((m, i) => i > 0 && isBulky(m, this.bulkAppBytes));
    if (next < 0) return run;
    this.held.set(to, run.slice(next));
    return run.slice(0, next);
  }

  clear(): void {
    this.held.clear();
  }
}
