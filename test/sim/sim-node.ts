// One simulated node: the real core, its simulated disk (what survives a crash) and its volatile
// part (the KV state machine, the Ready being persisted, deferred inputs). It processes each Ready
// in the order types.ts prescribes — persist, send, apply, serve reads, advance — with the persist
// taking virtual time, so a crash can land between taking a Ready and making it durable. With
// earlySend, a leader's replication goes out before the persist, as the node runtime does.
import { decodeMembership } from "../../src/raft/types.ts";
import type { ConfChange, Entry, Membership, Message, NodeId, RaftConfig, ReadState, Ready } from "../../src/raft/types.ts";
import { withSnapshotBytes } from "../../src/node/snapshot-sending.ts";
import { splitEarlyMessages } from "../../src/raft/early-messages.ts";
import { SAFETY_ALARMS } from "../../src/raft/raft.ts";
import type { CoreFactory, RaftCore } from "./core.ts";
import type { EventQueue } from "./event-queue.ts";
import { KvStore } from "./kv-store.ts";
import { NodeWithDisk } from "./node-disk.ts";
import type { MemberStatus } from "./member-status.ts";
import type { SimNetwork } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { SafetyChecker } from "./safety-checker.ts";
import type { SimDisk } from "./sim-disk.ts";
import { SimViolation } from "./violation.ts";

export interface RuntimeBugs {
  /** Send a Ready's messages before its persist happened (acks for entries that a crash loses). */
  sendBeforePersist: boolean;
  /** Serve a read as soon as its read index is known, without waiting to have applied up to it. */
  readBeforeApplied: boolean;
}

export interface NodeHooks {
  applied(node: SimNode, e: Entry): void;
  snapshotInstalled(node: SimNode, index: number): void;
  readState(node: SimNode, rs: ReadState): void;
  /** The node crashed; its device lost `lostWrites` unflushed writes. */
  crashed(node: SimNode, lostWrites: number): void;
  /** A Ready is durable, its messages not sent yet: a crash point may strike (crash() inside). */
  persisted(node: SimNode, rd: Ready): void;
  trace(line: string): void;
}

export interface NodeEnv {
  queue: EventQueue;
  network: SimNetwork;
  checker: SafetyChecker;
  factory: CoreFactory;
  hooks: NodeHooks;
  bugs: RuntimeBugs;
  /** Upper bound (virtual ms) of one persist. */
  maxDiskLatency: number;
  /** Bound on inputs held back while a Ready is being persisted; beyond it they are lost. */
  maxDeferred: number;
  /**
   * Readys in flight at once. 1: the node takes no input while a Ready is being persisted.
   * More: it keeps stepping the core and takes further Readys, persisted strictly in order.
   */
  pipeline: number;
  /** Send a leader's replication before persisting (splitEarlyMessages), as the runtime does. */
  earlySend: boolean;
}

export type CoreSettings = Omit<RaftConfig, "id" | "random" | "logger">;

export class SimNode extends NodeWithDisk {
  private core: RaftCore | null = null;
  /** Readys taken from the core and not yet advanced. */
  private outstanding = 0;
  /** With earlySend: what each Ready in flight still has to send once durable. */
  private readonly lateMessages = new Map<Ready, Message[]>();
  /** Virtual time the last scheduled persist completes: later Readys persist after it (FIFO disk). */
  private diskFreeAt = 0;
  private deferred: (() => void)[] = [];
  kv = new KvStore();
  applied = 0;
  private appliedTerm = 0;
  private membership: Membership;
  deferredLost = 0;
  /**
   * Crashes so far. A persist scheduled in an earlier life must not land, and a restart scheduled
   * for an earlier crash must not restart a later one early.
   */
  lives = 0;

  constructor(
    id: NodeId,
    disk: SimDisk,
    private readonly rng: Prng,
    private readonly settings: CoreSettings,
    private readonly env: NodeEnv,
  ) {
    super(id, disk, settings.initialMembership, env.checker, (line) => env.hooks.trace(line));
    this.membership = settings.initialMembership;
  }

  isUp(): boolean {
    return this.core !== null;
  }

  raft(): RaftCore {
    if (this.core === null) throw new Error(`node ${this.id} is down`);
    return this.core;
  }

  start(): void {
    if (this.core !== null) throw new Error(`node ${this.id} is already up`);
    const restore = this.disk.restoreState();
    const config: RaftConfig = { ...this.settings, initialMembership: this.bootstrap, id: this.id, random: () => this.rng.next(), directoryId: this.directoryId, logger: raiseAlarms(this.id) };
    this.core = this.env.factory(config, restore);
    this.kv = new KvStore();
    const snap = restore.snapshot;
    if (snap !== null) this.kv.restore(snap.data);
    this.applied = snap?.meta.index ?? 0;
    this.appliedTerm = snap?.meta.term ?? 0;
    this.membership = snap?.meta.membership ?? this.bootstrap;
    this.env.checker.started(this.id, restore.hardState.commit);
    this.env.hooks.trace(`n${this.id} start term=${restore.hardState.term} vote=${restore.hardState.vote} commit=${restore.hardState.commit} last=${this.disk.lastIndex()}`);
    this.afterStep();
  }

  /** Lose everything volatile, including a Ready whose persist has not happened yet. */
  crash(): void {
    this.core = null;
    const lost = this.disk.crash();
    this.lives++;
    this.outstanding = 0;
    this.lateMessages.clear();
    this.deferred = [];
    this.env.hooks.trace(lost > 0 ? `n${this.id} crash, ${lost} unflushed writes lost` : `n${this.id} crash`);
    this.env.hooks.crashed(this, lost);
  }



  /** Without pipelining, a node persisting a Ready takes no input. */
  private busy(): boolean {
    return this.env.pipeline === 1 && this.outstanding > 0;
  }

  /** Run `input` against the core now, or once the Ready being persisted is done. Dropped when down. */
  act(input: (core: RaftCore) => void): void {
    if (this.core === null) return;
    if (this.busy()) {
      if (this.deferred.length >= this.env.maxDeferred) {
        this.deferredLost++;
        return;
      }
      this.deferred.push(() => this.act(input));
      return;
    }
    input(this.core);
    this.afterStep();
  }

  status(): MemberStatus {
    return this.raft().status();
  }

  tick(): void {
    this.act((core) => core.tick());
  }

  deliver(m: Message): void {
    this.act((core) => core.step(m));
  }

  changeMembership(cc: ConfChange): void {
    this.act((core) => {
      const r = core.proposeConfChange(cc);
      this.env.hooks.trace(`n${this.id} conf change ${JSON.stringify(cc)} → ${r.ok ? `index ${r.index}` : r.reason}`);
    });
  }

  transferLeader(to: NodeId): void {
    this.act((core) => core.transferLeader(to));
  }

  /** The app snapshots its state machine at the applied index and lets the core drop the log before it. */
  compact(): void {
    this.act((core) => {
      if (this.applied <= this.disk.snapshotIndex()) return;
      const snapshot = {
        meta: { index: this.applied, term: this.appliedTerm, membership: this.membership },
        data: this.kv.snapshot(),
      };
      this.disk.compact(snapshot);
      core.compact(snapshot);
      this.env.hooks.trace(`n${this.id} compact to ${this.applied}`);
    });
  }

  private afterStep(): void {
    const core = this.core!;
    const s = core.status();
    this.env.checker.status(this.id, s, this.applied);
    if (s.role === "leader") this.env.checker.leader(this.id, s.term, this.disk);
    while (this.outstanding < this.env.pipeline && core.hasReady()) this.takeReady(core);
  }

  private takeReady(core: RaftCore): void {
    const rd = core.ready();
    this.outstanding++;
    if (this.env.bugs.sendBeforePersist) this.send(rd.messages);
    else if (this.env.earlySend) {
      const { early, late } = splitEarlyMessages(rd, this.disk.hardState().term);
      this.send(early);
      this.lateMessages.set(rd, late);
    }
    const life = this.lives;
    const now = this.env.queue.now();
    this.diskFreeAt = Math.max(this.diskFreeAt, now + this.rngLatency());
    this.env.queue.after(this.diskFreeAt - now, `n${this.id} persist`, () => this.finishReady(rd, life));
  }

  private rngLatency(): number {
    return this.rng.int(0, this.env.maxDiskLatency);
  }

  private finishReady(rd: Ready, life: number): void {
    if (life !== this.lives) return; // crashed before the write reached the disk
    const core = this.core!;
    const previousCommit = this.disk.hardState().commit;
    this.disk.persist(rd);
    this.env.checker.persisted(this.id, this.disk, rd.entries, previousCommit);
    if (rd.softState !== null) this.env.hooks.trace(`n${this.id} ${rd.softState.role} leader=${rd.softState.leader} term=${core.status().term}`);
    this.env.hooks.persisted(this, rd);
    if (life !== this.lives) return; // crashed between the disk write and the sends
    if (!this.env.bugs.sendBeforePersist) this.send(this.lateMessages.get(rd) ?? rd.messages);
    this.lateMessages.delete(rd);
    if (rd.snapshot !== null) this.installSnapshot(rd);
    for (const e of rd.committed) this.apply(e);
    for (const rs of rd.readStates) this.env.hooks.readState(this, rs);
    core.advance(rd);
    this.outstanding--;
    this.afterStep();
    while (!this.busy() && this.core !== null && this.deferred.length > 0) this.deferred.shift()!();
  }

  /** Snapshot chunks get their bytes from the disk's snapshot first, as the runtime fills them from storage. */
  private send(messages: Message[]): void {
    const gone = (to: NodeId, index: number) => this.env.queue.after(0, `n${this.id} snapshot ${index} gone`, () => this.act((core) => core.snapshotUnavailable(to, index)));
    for (const m of withSnapshotBytes(messages, this.disk, this.settings.snapshotChunkBytes, gone)) this.env.network.send(m);
  }

  private installSnapshot(rd: Ready): void {
    const snap = rd.snapshot!;
    this.kv.restore(snap.data);
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
    this.membership = snap.meta.membership;
    this.env.hooks.trace(`n${this.id} installed snapshot at ${snap.meta.index}`);
    this.env.hooks.snapshotInstalled(this, snap.meta.index);
  }

  private apply(e: Entry): void {
    if (e.index !== this.applied + 1) {
      throw new SimViolation("ready", `node ${this.id} was handed entry ${e.index} to apply after applying ${this.applied}`);
    }
    const durable = this.disk.entry(e.index);
    if (e.index > this.disk.snapshotIndex() && (durable === undefined || durable.term !== e.term)) {
      throw new SimViolation("ready", `node ${this.id} was handed entry ${e.index}/term ${e.term} to apply but its disk holds ${durable ? `term ${durable.term}` : "nothing"} there`);
    }
    if (e.type === "config") this.membership = decodeMembership(e.data);
    else if (e.data.length > 0) this.kv.apply(e.index, e.data);
    this.env.checker.applied(this.id, e);
    this.applied = e.index;
    this.appliedTerm = e.term;
    this.env.hooks.applied(this, e);
  }
}

/** The core's safety alarms (SAFETY_ALARMS) never fire in one cluster: one is a violation. */
function raiseAlarms(id: number): (event: string, fields: Record<string, unknown>) => void {
  return (event, fields) => {
    if (SAFETY_ALARMS.has(event)) throw new SimViolation("core-error", `node ${id} raised ${event}: ${JSON.stringify(fields)}`);
  };
}
