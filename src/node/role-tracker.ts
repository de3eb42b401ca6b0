// What this node knows of leadership — its role, the leader, the term — and who waits on it:
// role-change listeners, callers waiting for any leader, and a transfer waiting for one node.
import type { NodeId, Role, SoftState } from "../raft/types.ts";
import type { Unsubscribe } from "./contracts.ts";
import { LeaderWatch } from "./leader-watch.ts";
import type { Logger } from "./logger.ts";
import { realTimers, type Timers } from "./timers.ts";

export type RoleListener = (role: Role, leader: NodeId, term: number) => void;

export class RoleTracker {
  role: Role = "follower";
  leader: NodeId = 0;
  term = 0;
  leaderChanges = 0;
  private readonly listeners = new Set<RoleListener>();
  private readonly anyLeader: LeaderWatch;

  constructor(
    maxWaiters: number,
    private readonly log: () => Logger,
    private readonly timers: Timers = realTimers,
  ) {
    this.anyLeader = new LeaderWatch(maxWaiters, timers);
  }

  get isLeader(): boolean {
    return this.role === "leader";
  }

  /** Apply a Ready's soft state; returns true when this node just stopped being leader. */
  update(ss: SoftState): boolean {
    if (ss.role === this.role && ss.leader === this.leader) return false;
    const previousLeader = this.leader;
    const steppedDown = this.role === "leader" && ss.role !== "leader";
    this.role = ss.role;
    this.leader = ss.leader;
    if (ss.leader !== previousLeader) this.leaderChanges++;
    this.log().info("role_changed", { leader: ss.leader, previousLeader });
    this.anyLeader.changed(ss.leader);
    for (const listener of this.listeners) {
      try {
        listener(ss.role, ss.leader, this.term);
      } catch (e) {
        this.log().error("role_listener_failed", { error: e });
      }
    }
    return steppedDown;
  }

  onChange(listener: RoleListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves at the next change of role or leader, or after timeoutMs, whichever comes first. */
  async awaitChange(timeoutMs: number): Promise<void> {
    await this.awaitChangeWhere(() => true, timeoutMs);
  }

  /** The leader's id once one is known, or 0 after timeoutMs. */
  awaitAnyLeader(timeoutMs: number): Promise<NodeId> {
    return this.anyLeader.wait(this.leader, timeoutMs);
  }

  /** true once `target` is the known leader, false after timeoutMs. */
  awaitLeader(target: NodeId, timeoutMs: number): Promise<boolean> {
    if (this.leader === target) return Promise.resolve(true);
    return this.awaitChangeWhere((leader) => leader === target, timeoutMs);
  }

  /** true at the first change of role or leader after which `matches(leader)`, false after timeoutMs. */
  private awaitChangeWhere(matches: (leader: NodeId) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onChange((_role, leader) => {
        if (!matches(leader)) return;
        this.timers.clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  cancelWaits(): void {
    this.anyLeader.cancelAll();
  }
}
