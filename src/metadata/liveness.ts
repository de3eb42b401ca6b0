// Broker liveness, run on the leader only. Each active broker has a session timer that its
// heartbeats (BrokerMgmt fetches) re-arm; when it runs out the leader proposes a fence. A heartbeat
// from an INIT broker proposes ALIVE, from a FENCED one UNFENCED. Every status change is a
// RegistrationChangeBrokerRecord in the log. Timers start afresh whenever this node becomes leader,
// so a failover never fences brokers for silence the new leader did not witness.
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
  private readonly timers = new Map<number, TimerId>();
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
    return [...this.timers.keys()].sort((a, b) => a - b);
  }

  /** Became leader: every active broker gets a full session from now. */
  start(): void {
    this.stop();
    this.active = true;
    for (const id of this.deps.activeBrokerIds()) this.arm(id);
  }

  stop(): void {
    this.active = false;
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
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
    else if (!this.timers.has(id)) this.arm(id);
  }

  private arm(brokerId: number): void {
    this.disarm(brokerId);
    this.timers.set(
      brokerId,
      this.deps.clock.setTimeout(() => this.expire(brokerId), this.deps.sessionTimeoutMs),
    );
  }

  private disarm(brokerId: number): void {
    const timer = this.timers.get(brokerId);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    this.timers.delete(brokerId);
  }

  private expire(brokerId: number): void {
    this.timers.delete(brokerId);
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
