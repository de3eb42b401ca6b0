// One simulated node running the real node runtime (src/node/raft-runtime.ts): its ticks come
// from a ManualTicker the simulator drives, its timers are virtual (VirtualTimers), its peers are
// the simulated network (SimTransport) and it writes through the real write planner onto a
// simulated device (SimStorage over SimDisk). So the write → flush → send → apply → advance order the
// simulator checks is the one production runs. A crash drops the process (its timers, transport
// and storage handle die with it); only the SimDisk survives.
import { NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { ProposalLostError, ProposalRejectedError } from "../../src/node/errors.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import type { RuntimeOptions } from "../../src/node/runtime-options.ts";
import { ManualTicker } from "../../src/node/ticker.ts";
import type { ConfChange, Entry, Membership, Message, NodeId } from "../../src/raft/types.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";
import type { WritePlan } from "../../src/storage/write-plan.ts";
import type { EventQueue } from "./event-queue.ts";
import { KvStore } from "./kv-store.ts";
import { NodeWithDisk } from "./node-disk.ts";
import type { MemberStatus } from "./member-status.ts";
import type { SimNetwork } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { SafetyChecker, WrittenBatch } from "./safety-checker.ts";
import type { CorruptRead, SimDisk } from "./sim-disk.ts";
import { SimCrash, SimStorage } from "./sim-storage.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { SimTransport, type PeerDirectory } from "./sim-transport.ts";
import { SimViolation } from "./violation.ts";
import { VirtualTimers } from "./virtual-timers.ts";

export type PutReply = { kind: "ok"; index: number } | { kind: "refused"; leader: NodeId } | { kind: "failed" } | { kind: "unknown" };
export type GetReply = { kind: "ok"; value: string | null } | { kind: "retry" } | { kind: "unknown" };

/** Runtime settings shared by every node of a run. */
export type RuntimeSettings = Pick<
  RuntimeOptions,
  "electionTicks" | "heartbeatTicks" | "maxMsgBytes" | "maxInflight" | "maxInflightBytes" | "snapshotChunkBytes" | "snapshotEntries" | "initialMembership"
> & { tickInterval: number };

export interface RuntimeNodeHooks {
  corruptRead(node: RuntimeNode): CorruptRead | null;
  /** The node refused to start (its storage found corruption): it is down until restarted. */
  refused(node: RuntimeNode): void;
  applied(node: RuntimeNode, e: Entry): void;
  /** The node's process died; its device lost `lostWrites` unflushed writes. */
  crashed(node: RuntimeNode, lostWrites: number): void;
  tearPoint(node: RuntimeNode, plan: WritePlan): number | null;
  persisted(node: RuntimeNode, batch: PersistBatch): void;
  trace(line: string): void;
}

export interface RuntimeNodeEnv {
  queue: EventQueue;
  network: SimNetwork;
  checker: SafetyChecker;
  directory: PeerDirectory;
  hooks: RuntimeNodeHooks;
  /**
   * A check failed inside the runtime's call stack (where the runtime would catch a throw, e.g.
   * the Applier taking it for a rejected command): the run records it and fails after the event.
   */
  violation: (v: SimViolation) => void;
  /** The cluster's members as its operator would name them in --peers when (re)starting a node. */
  operatorPeers: () => Membership;
  /** Whether an applied entry must be durable, not merely written (off only to show the end-to-end checks alone catch a flush bug). */
  appliedDurableCheck: boolean;
  /** Builds the runtime: the real one, or a deliberately broken subclass (runtime-bugs.ts). */
  build: (options: RuntimeOptions) => RaftRuntime;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a membership change proposes as a node's peer address (the runtime wants host:port). */
export const simAddress = (id: NodeId): string => `10.0.0.${id}:9093`;

export class RuntimeNode extends NodeWithDisk {
  private runtime: RaftRuntime | null = null;
  private timers: VirtualTimers | null = null;
  private transport: SimTransport | null = null;
  private ticker: ManualTicker | null = null;
  /** Client callbacks waiting on this life: a crash answers them "unknown". */
  private readonly waiting = new Set<() => void>();
  kv = new KvStore();
  /** The last entry the KV state machine applied (no-ops and config entries never reach it). */
  private kvApplied = 0;
  /** A sliced restore of a leader's snapshot is under way (slicedRestore). */
  private restoring = false;
  lives = 0;
  /** The node's clock: rate and steps survive a restart (they are the machine's). */
  private clockJump = 0;
  /** Frozen with the ticks it misses dropped but one (pause({ dropMissedTicks })), and whether that one is held. */
  private dropMissedTicks = false;
  private tickHeld = false;

  constructor(
    id: NodeId,
    disk: SimDisk,
    private readonly rng: Prng,
    private readonly settings: RuntimeSettings,
    private readonly clockRate: number,
    private readonly env: RuntimeNodeEnv,
  ) {
    super(id, disk, settings.initialMembership, env.checker, (line) => env.hooks.trace(line));
  }

  /** The runtime's applied offset (what its users see); 0 while down. */
  get applied(): number {
    return this.runtime?.appliedIndex() ?? 0;
  }

  isUp(): boolean {
    return this.runtime !== null;
  }

  isPaused(): boolean {
    return this.timers?.isPaused ?? false;
  }

  start(): void {
    if (this.runtime !== null) throw new Error(`node ${this.id} is already up`);
    const life = this.lives;
    const timers = new VirtualTimers(this.env.queue, `n${this.id}`, this.clockRate);
    timers.jump(this.clockJump);
    const alive = () => this.lives === life && timers.alive;
    const storage = new SimStorage(
      this.disk,
      { clusterId: "sim", nodeId: this.id, directoryId: this.directoryId },
      {
        corruptRead: () => this.env.hooks.corruptRead(this),
        tearPoint: (plan) => this.env.hooks.tearPoint(this, plan),
        written: (batch, previousCommit) => this.env.checker.written(this.id, this.disk, batch.entries, previousCommit),
        persisted: (batch, written) => this.persisted(batch, written),
        alive,
        crashNow: () => this.crash(),
      },
      timers,
      this.disk.bugs.skipChecksum === true,
    );
    const restore = this.disk.restoreState();
    this.kv = new KvStore();
    this.restoring = false;
    this.dropMissedTicks = false;
    this.tickHeld = false;
    this.kvApplied = restore.snapshot?.meta.index ?? 0;
    this.timers = timers;
    this.ticker = new ManualTicker(this.settings.tickInterval);
    this.runtime = this.env.build({
      ...this.settings,
      // A blank disk starts from its bootstrap; a restarted process gets the cluster's current peers.
      initialMembership: restore.entries.length === 0 && restore.snapshot === null ? this.bootstrap : this.env.operatorPeers(),
      clusterId: "sim",
      nodeId: this.id,
      directoryId: this.directoryId,
      storage,
      stateMachine: {
        apply: (index, data) => this.apply(index, data),
        snapshot: () => this.kv.snapshot(),
        restore: (index, data) => this.restore(index, data),
        beginRestore: (index, data) => this.slicedRestore(index, data),
      },
      transport: (handlers) => (this.transport = new SimTransport(this.id, handlers, this.env.network, timers, this.env.directory)),
      ticker: this.ticker,
      random: () => this.rng.next(),
      // Distinct per life, without a draw from the node's stream (seeds keep their schedules).
      firstReadContext: 1 + this.lives * 2 ** 32,
      timers,
      onFatal: (e) => this.onFatal(e),
    });
    this.env.checker.started(this.id, restore.hardState.commit);
    this.env.hooks.trace(`n${this.id} start term=${restore.hardState.term} vote=${restore.hardState.vote} commit=${restore.hardState.commit} last=${this.disk.lastIndex()}`);
    const runtime = this.runtime;
    runtime.onForward((payload) => this.serveForwardedGet(runtime, payload));
    runtime.start().catch((e: unknown) => {
      if (this.runtime !== runtime) return;
      if (e instanceof StorageError && e.code === "corrupt") {
        // The clear refusal the storage owes its operator: the node stays down, serving nothing.
        this.env.hooks.trace(`n${this.id} refused to start: ${e.message}`);
        this.crash();
        this.env.hooks.refused(this);
        return;
      }
      this.env.violation(new SimViolation("runtime", `node ${this.id} failed to start: ${errorName(e)}`));
    });
  }

  /** The process dies: nothing of it runs again; the device loses a suffix of what was not flushed. */
  crash(): void {
    const runtime = this.runtime;
    if (runtime === null) return;
    this.runtime = null;
    this.timers?.kill();
    this.timers = null;
    this.transport = null;
    this.ticker = null;
    this.lives++;
    const lost = this.disk.crash();
    // Nothing of the dead process may run on: its waits end now (their callers see a stale life).
    void runtime.stop();
    this.env.hooks.trace(lost > 0 ? `n${this.id} crash, ${lost} unflushed writes lost` : `n${this.id} crash`);
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const answer of waiting) answer();
    this.env.hooks.crashed(this, lost);
  }


  /**
   * Freeze the process: timers, ticks and inbound messages wait until resume(). With
   * `dropMissedTicks`, one tick waits and the others missed meanwhile are lost — a late interval
   * timer fires once, and the runtime's IntervalTicker never catches a leader up — rather than all
   * delivered at resume (which runs a leader's check-quorum at once).
   */
  pause(options: { dropMissedTicks: boolean } = { dropMissedTicks: false }): void {
    if (this.timers === null) return;
    this.timers.pause();
    this.dropMissedTicks = options.dropMissedTicks;
    this.env.hooks.trace(`n${this.id} paused${options.dropMissedTicks ? " (missed ticks dropped)" : ""}`);
  }

  resume(): void {
    if (this.timers === null || !this.timers.isPaused) return;
    this.env.hooks.trace(`n${this.id} resumed`);
    this.dropMissedTicks = false;
    this.timers.resume();
  }


  /** An NTP step of this machine's clock. */
  jumpClock(ms: number): void {
    this.clockJump += ms;
    this.timers?.jump(ms);
    this.env.hooks.trace(`n${this.id} clock jumps ${ms} ms`);
  }

  status(): MemberStatus {
    const s = this.require().brief();
    return { role: s.role, leader: s.leader, term: s.term, commit: s.commit, applied: s.applied, lastIndex: s.lastIndex, membership: s.membership };
  }

  /** One tick of the node's interval timer; a frozen process takes it when it resumes. */
  tick(): void {
    const { timers, ticker } = this;
    if (timers === null || ticker === null) return;
    if (timers.isPaused && this.dropMissedTicks) {
      if (this.tickHeld) return;
      this.tickHeld = true;
    }
    timers.run(() => {
      this.tickHeld = false;
      ticker.tick();
    });
  }

  deliver(m: Message): void {
    this.transport?.receive(m);
  }

  peerTransport(): SimTransport | null {
    return this.isUp() && !this.isPaused() ? this.transport : null;
  }

  /** The operator asks for a snapshot (log compaction up to the applied index). */
  compact(): void {
    this.asProcess((rt) => {
      if (rt.appliedIndex() === 0) return;
      rt.snapshotNow().then(
        (meta) => this.env.hooks.trace(`n${this.id} snapshot at ${meta.index}`),
        (e: unknown) => this.env.hooks.trace(`n${this.id} snapshot refused: ${String(e)}`),
      );
    });
  }

  changeMembership(cc: ConfChange): void {
    this.asProcess((rt) => {
      const change =
        cc.type === "addVoter" ? rt.addVoter(cc.id, simAddress(cc.id)) : cc.type === "addLearner" ? rt.addLearner(cc.id, simAddress(cc.id)) : rt.removeMember(cc.id);
      this.env.hooks.trace(`n${this.id} conf change ${JSON.stringify(cc)}`);
      change.then(
        () => this.env.hooks.trace(`n${this.id} conf change ${cc.type} ${cc.id} done`),
        (e: unknown) => this.env.hooks.trace(`n${this.id} conf change ${cc.type} ${cc.id} → ${errorName(e)}`),
      );
    });
  }

  transferLeader(to: NodeId): void {
    this.asProcess((rt) => {
      rt.transferLeader(to).catch((e: unknown) => this.env.hooks.trace(`n${this.id} transfer to n${to} → ${errorName(e)}`));
    });
  }

  /** A client's put through the runtime's propose: answered once, by the runtime or by a crash. */
  put(data: Uint8Array, reply: (r: PutReply) => void): void {
    this.asClient(reply, (rt, answer) =>
      rt.propose(data).then(
        (r) => answer({ kind: "ok", index: r.index }),
        (e: unknown) => answer(putFailure(e)),
      ),
    );
  }

  /** A client's linearizable get: a read barrier, then the local state. */
  get(key: string, reply: (r: GetReply) => void): void {
    this.asClient(reply, (rt, answer) =>
      rt.readBarrier().then(
        () => answer({ kind: "ok", value: this.kv.get(key) }),
        (e: unknown) => answer(isNoLeader(e) ? { kind: "retry" } : { kind: "unknown" }),
      ),
    );
  }

  /**
   * A client's linearizable get sent to this node and forwarded to the leader the way the runtime
   * forwards (its Forwarder over peer requests, re-routed when the leader changes), where the
   * leader reads behind its read barrier (serveForwardedGet). The answer is the leader's.
   */
  forwardedGet(key: string, reply: (r: GetReply) => void): void {
    this.asClient(reply, (rt, answer) =>
      rt.forwardToLeader(encoder.encode(key)).then(
        (bytes) => answer({ kind: "ok", value: JSON.parse(decoder.decode(bytes)) as string | null }),
        (e: unknown) => answer(isNoLeader(e) ? { kind: "retry" } : { kind: "unknown" }),
      ),
    );
  }

  /** The leader's side of a forwarded get: the read barrier first (called at once: the broken runtime hooks it), then the local state. */
  private serveForwardedGet(rt: RaftRuntime, payload: Uint8Array): Promise<Uint8Array> {
    const key = decoder.decode(payload);
    return rt.readBarrier().then(() => {
      if (this.runtime !== rt) throw new Error(`node ${this.id} restarted while serving a forwarded read`);
      return encoder.encode(JSON.stringify(this.kv.get(key)));
    });
  }

  private asClient<R>(reply: (r: R) => void, call: (rt: RaftRuntime, answer: (r: R) => void) => Promise<void>): void {
    const life = this.lives;
    let done = false;
    const unknown = () => {
      done = true;
      reply({ kind: "unknown" } as R);
    };
    const answer = (r: R) => {
      if (done || life !== this.lives) return;
      done = true;
      this.waiting.delete(unknown);
      reply(r);
    };
    this.waiting.add(unknown);
    this.asProcess((rt) => void call(rt, answer));
  }

  /** Run `fn` as this process (later if it is paused); nothing when it is down. */
  private asProcess(fn: (rt: RaftRuntime) => void): void {
    const rt = this.runtime;
    if (rt === null) return;
    this.timers!.run(() => {
      if (this.runtime === rt) fn(rt);
    });
  }

  private require(): RaftRuntime {
    if (this.runtime === null) throw new Error(`node ${this.id} is down`);
    return this.runtime;
  }

  private persisted(batch: PersistBatch, written: WrittenBatch): void {
    this.env.checker.durable(this.id, written);
    this.env.hooks.persisted(this, batch);
  }

  /** The state machine's apply: the entry must already be on the disk durably, as written (flush before apply). */
  private apply(index: number, data: Uint8Array): void {
    try {
      this.applyChecked(index, data);
    } catch (err) {
      if (err instanceof SimViolation) this.env.violation(err);
      throw err;
    }
  }

  private applyChecked(index: number, data: Uint8Array): void {
    // A snapshot written after the entry's Ready (written while that Ready waited for its flush:
    // the pipeline) may have compacted the entry since; the disk then held it as that compaction removed it.
    const compacted = index <= this.disk.snapshotIndex();
    const e = compacted ? this.disk.compactedEntry(index) : this.disk.entry(index);
    if (e === undefined || e.data !== data && !sameBytes(e.data, data)) {
      throw new SimViolation("applied-not-durable", `node ${this.id} applied entry ${index} that its disk does not hold as written (disk ${this.disk.snapshotIndex()}..${this.disk.lastIndex()})`);
    }
    if (this.env.appliedDurableCheck && !compacted && index >= this.disk.unflushedFloor()) {
      throw new SimViolation("applied-not-durable", `node ${this.id} applied entry ${index} before a flush made it durable (unflushed from ${this.disk.unflushedFloor()})`);
    }
    if (index <= this.kvApplied) throw new SimViolation("applied-monotonic", `node ${this.id} applied entry ${index} after ${this.kvApplied}`);
    if (this.restoring) throw new SimViolation("applied-monotonic", `node ${this.id} applied entry ${index} while a snapshot was being restored`);
    this.kv.apply(index, data);
    this.kvApplied = index;
    this.env.checker.applied(this.id, e);
    this.env.hooks.applied(this, e);
  }

  private restore(index: number, data: Uint8Array): void {
    this.kv.restore(data);
    this.kvApplied = index;
    this.env.hooks.trace(`n${this.id} restored snapshot at ${index}`);
  }

  /**
   * A leader's snapshot restored over a few of the runtime's slices (how many follows from its
   * size, so a seed replays alike): the runtime must apply nothing, and restore nothing else in
   * one go, until the last slice has replaced the state.
   */
  private slicedRestore(index: number, data: Uint8Array): { step: () => boolean } {
    let left = 1 + (data.length % 4);
    const life = this.lives;
    this.restoring = true;
    return {
      step: () => {
        if (this.lives !== life) throw new SimViolation("runtime", `node ${this.id} stepped a restore of a process that died`);
        if (--left > 0) return false;
        this.restoring = false;
        this.restore(index, data);
        return true;
      },
    };
  }

  /** The runtime gave up: a crash inside a write is the simulated process dying; anything else is a bug. */
  private onFatal(e: Error): void {
    if (e instanceof SimCrash) {
      this.env.hooks.trace(`n${this.id} process ended in a write`);
      return;
    }
    this.env.violation(e instanceof SimViolation ? e : new SimViolation("runtime", `node ${this.id} failed: ${e.name}: ${e.message}`));
  }
}

function putFailure(e: unknown): PutReply {
  if (e instanceof NotLeaderError) return { kind: "refused", leader: e.leader };
  if (e instanceof ProposalRejectedError) return { kind: "refused", leader: 0 };
  if (e instanceof ProposalLostError) return { kind: "failed" }; // another entry holds its index
  return { kind: "unknown" };
}

/** The read was not served for want of a leader: nothing happened, the client may try again. */
function isNoLeader(e: unknown): boolean {
  return e instanceof NotLeaderError || e instanceof NoLeaderError;
}

function errorName(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
