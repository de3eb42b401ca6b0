// Broker liveness, run on the leader only. Each active broker has a session timer that its
// heartbeats (BrokerMgmt fetches) re-arm; when it runs out the leader proposes a fence. A heartbeat
// from an INIT broker proposes ALIVE, from a FENCED one UNFENCED. Every status change is a
// RegistrationChangeBrokerRecord in the log. Timers start afresh whenever this node becomes leader,
// so a failover never fences brokers for silence the new leader did not witness.
// The session timers are one deadline per broker and a single clock timer for the earliest: a
// fleet heartbeats a thousand times a second, and re-arming is then a map update, not a timer
// cancelled and another set. Every deadline is now + the same session timeout, so the map's
// insertion order (a re-armed broker moves to the end) is deadline order and its head is next.
import { type BrokerRecord, forEachBrokerChange } from "./broker-changes.ts";
import type { Clock, TimerId } from "./clock.ts";
import type { ImageChange } from "./state-machine.ts";
import { ACTIVE_STATUSES, type BrokerStatus } from "./records.ts";

export type LivenessChange = "heartbeat" | "fence";

export interface LivenessDeps {
  clock: Clock;
  sessionTimeoutMs: number;
  statusOf(brokerId: number): BrokerStatus | undefined;
  activeBrokerIds(): number[];
  /** Proposes the change and resolves with its log index once applied (even if it was rejected). */
  propose(brokerId: number, change: LivenessChange): Promise<number>;
  /** A background fence that could not be proposed (lost leadership, timeout…). */
  onError?(error: unknown, brokerId: number): void;
}

export class BrokerLiveness {
  /** Broker → when its session runs out; in deadline order (insertion order, see the header). */
  private readonly deadlines = new Map<number, number>();
  /** The one clock timer: due at or before the head's deadline, or null when none is set. */
  private timer: TimerId | null = null;
  private readonly inflight = new Map<string, Promise<number>>();
  private active = false;

  constructor(private readonly deps: LivenessDeps) {
    if (!(deps.sessionTimeoutMs > 0)) throw new RangeError(`session timeout must be positive, got ${deps.sessionTimeoutMs}`);
  }

  get running(): boolean {
    return this.active;
  }

  /** Brokers whose session timer is running (for tests and metrics). */
  tracked(): number[] {
    return [...this.deadlines.keys()].sort((a, b) => a - b);
  }

  /** Became leader: every active broker gets a full session from now. */
  start(): void {
    this.stop();
    this.active = true;
    for (const id of this.deps.activeBrokerIds()) this.arm(id);
  }

  stop(): void {
    this.active = false;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.deadlines.clear();
  }

  /**
   * A heartbeat from a registered, non-closed broker (the caller checked). Resolves with the index
   * of the status change it caused, or 0 when none was needed.
   */
  async heartbeat(brokerId: number): Promise<number> {
    if (!this.active) throw new Error(`heartbeat of broker ${brokerId} reached a node whose liveness is not running`);
    this.arm(brokerId);
    const status = this.deps.statusOf(brokerId);
    if (status !== "INIT" && status !== "FENCED") return 0;
    return this.proposeOnce(brokerId, "heartbeat");
  }

  /** Keeps timers in step with the image: new and revived brokers tracked, fenced and closed ones not. */
  onImageChange(change: ImageChange): void {
    if (!this.active) return;
    forEachBrokerChange(change, () => this.start(), (record) => this.follow(record));
  }

  private follow(record: BrokerRecord): void {
    const id = record.fields.brokerId;
    if (record.name === "RegisterBrokerRecord") this.arm(id);
    else if (!ACTIVE_STATUSES.includes(record.fields.brokerStatus)) this.disarm(id);
    else if (!this.deadlines.has(id)) this.arm(id);
  }

  private arm(brokerId: number): void {
    this.deadlines.delete(brokerId);
    this.deadlines.set(brokerId, this.deps.clock.now() + this.deps.sessionTimeoutMs);
    this.schedule();
  }

  private disarm(brokerId: number): void {
    // The timer stays: when it fires and finds nothing due, it is set for the new head.
    this.deadlines.delete(brokerId);
  }

  /** Sets the timer for the head's deadline, unless one is set (it is due no later: deadlines only grow). */
  private schedule(): void {
    if (this.timer !== null) return;
    const head = this.deadlines.values().next();
    if (head.done) return;
    this.timer = this.deps.clock.setTimeout(() => this.sweep(), Math.max(0, head.value - this.deps.clock.now()));
  }

  /** Expires every broker whose deadline has passed, oldest first, then waits for the next. */
  private sweep(): void {
    this.timer = null;
    const now = this.deps.clock.now();
    for (const [brokerId, deadline] of this.deadlines) {
      if (deadline > now) break;
      this.deadlines.delete(brokerId);
      this.expire(brokerId);
    }
    this.schedule();
  }

  private expire(brokerId: number): void {
    const status = this.deps.statusOf(brokerId);
    if (!this.active || status === undefined || !ACTIVE_STATUSES.includes(status)) return;
    this.proposeOnce(brokerId, "fence").catch((error) => this.deps.onError?.(error, brokerId));
  }

  /** One proposal per broker and change at a time; concurrent heartbeats share it. */
  private proposeOnce(brokerId: number, change: LivenessChange): Promise<number> {
    const key = `${brokerId}:${change}`;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.deps.propose(brokerId, change).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
