// A Snapshotter on real parts (metadata state machine, Applier, MemoryStorage) without the Raft
// core: entries are persisted and applied by hand, the core's compact() is recorded, and the
// snapshotter's deferred slices wait in a queue the test runs step by step.
import { encodeCommand, type Command } from "../../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../../src/metadata/state-machine.ts";
import { Applier } from "../../../src/node/applier.ts";
import { Logger } from "../../../src/node/logger.ts";
import { RuntimeMetrics } from "../../../src/node/metrics.ts";
import { ProposalWaiters } from "../../../src/node/proposal-waiters.ts";
import { Snapshotter, type SnapshotRaft } from "../../../src/node/snapshotter.ts";
import type { Entry, Membership, Snapshot, SnapshotMeta } from "../../../src/raft/types.ts";
import { MemoryStorage } from "../../../src/storage/index.ts";

export const MEMBERSHIP: Membership = { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } };
const TERM = 1;
/** Bound on deferred slices one run may execute, so a snapshot that never ends fails the test. */
const MAX_DEFERRED = 100_000;

export class SnapshotHarness {
  readonly storage = new MemoryStorage();
  readonly sm = new MetadataStateMachine();
  readonly lines: string[] = [];
  readonly compacted: SnapshotMeta[] = [];
  readonly applier: Applier;
  readonly snapshotter: Snapshotter;
  private readonly deferred: (() => void)[] = [];
  readonly raft: SnapshotRaft;

  constructor(opts: { everyEntries?: number; everyRecords?: number; sliceItems?: number; collectYoung?: () => void } = {}) {
    const log = new Logger(1, (line) => this.lines.push(line), () => ({ term: TERM, role: "follower" }), () => 0);
    // A clock that stands still: every fed run applies at once (nothing here runs the apply slices).
    this.applier = new Applier(this.sm, new ProposalWaiters(16, 1_000), log, MEMBERSHIP, () => 0);
    this.storage.format({ clusterId: "c", nodeId: 1 });
    this.raft = {
      compact: (s: Snapshot) => {
        if (s.meta.index > this.applier.applied) throw new Error(`compact to ${s.meta.index} past applied ${this.applier.applied}`);
        this.compacted.push(s.meta);
      },
    };
    this.snapshotter = new Snapshotter(
      {
        nodeId: 1,
        storage: this.storage,
        stateMachine: this.sm,
        applier: this.applier,
        log,
        counters: new RuntimeMetrics(),
        now: () => 0,
        everyEntries: opts.everyEntries ?? 1_000_000,
        everyMs: 1_000_000_000,
        everyRecords: opts.everyRecords,
        defer: (work) => this.deferred.push(work),
        sliceItems: opts.sliceItems ?? 1,
        collectYoung: opts.collectYoung,
      },
      0,
    );
  }

  /** Persists and applies the commands as the next committed entries. */
  feed(commands: readonly Command[]): void {
    const entries: Entry[] = commands.map((c, i) => ({ index: this.applier.applied + 1 + i, term: TERM, type: "normal", data: encodeCommand(c) }));
    if (entries.length === 0) return;
    const last = entries[entries.length - 1].index;
    this.storage.persist({ hardState: { term: TERM, vote: 1, commit: last }, entries, snapshot: null });
    this.applier.apply(entries);
  }

  /** Runs one deferred slice; false when none is waiting. */
  runOne(): boolean {
    const work = this.deferred.shift();
    if (work === undefined) return false;
    work();
    return true;
  }

  /** Runs deferred slices until none is left (bounded). Returns how many ran. */
  runAll(): number {
    let n = 0;
    while (this.runOne()) if (++n > MAX_DEFERRED) throw new Error(`still deferring after ${MAX_DEFERRED} slices`);
    return n;
  }

  get pending(): number {
    return this.deferred.length;
  }

  /** A leader's snapshot arrives: persisted with its commit, installed, told to the snapshotter. */
  install(snapshot: Snapshot): void {
    this.storage.persist({ hardState: { term: TERM, vote: 1, commit: snapshot.meta.index }, entries: [], snapshot });
    this.applier.installSnapshot(snapshot);
    this.snapshotter.installed(snapshot.meta.index);
  }

  events(name: string): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === name);
  }
}
