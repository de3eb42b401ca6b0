// The Raft safety properties, checked incrementally as the run goes (each check touches only what
// one step changed, so checking after every step stays cheap):
// - election safety: at most one leader per term, across the whole run;
// - log matching: two persisted entries with the same index and term hold the same data and
//   follow the same previous term (by induction: identical prefixes);
// - leader completeness: an entry seen committed by a node in term T is in the log of every leader
//   of a term > T, whether that leader was elected before or after the entry was seen (a leader of
//   an older term can still be elected late, from delayed votes, and need not hold it);
// - state machine safety: no two nodes commit or apply different entries at one index;
// - commit never decreases on a node (after a restart: never below the persisted commit);
// - applied ≤ committed, and a persisted commit points into the persisted log.
import type { Entry, Membership, NodeId } from "../../src/raft/types.ts";
import type { MemberStatus } from "./member-status.ts";
import type { SimDisk } from "./sim-disk.ts";
import { checkOneChangeAtATime } from "./user-invariants.ts";
import { SimViolation } from "./violation.ts";

const decoder = new TextDecoder();

interface EntryFacts {
  data: string;
  prevTerm: number;
  node: NodeId;
}

interface CommittedFacts {
  term: number;
  data: string;
  node: NodeId;
  /** The lowest persisted term of a node that knew it committed: it was committed in a term ≤ this. */
  seenInTerm: number;
}

/** What the checker records of one write once it is durable, taken right after the write. */
export interface WrittenBatch {
  /** Each entry written, with the term of the entry before it on the disk then. */
  entries: { entry: Entry; prevTerm: number | undefined }[];
  /** Entries the write's commit index newly covered. */
  committed: Entry[];
  /** The disk's term then: the entries were committed in a term no later than this. */
  term: number;
}

export function entryKey(e: Entry): string {
  return `${e.type}:${decoder.decode(e.data)}`;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly seen = new Map<number, Map<number, EntryFacts>>();
  private readonly committed = new Map<number, CommittedFacts>();
  private readonly commitFloor = new Map<NodeId, number>();
  private maxCommitted = 0;
  private maxLeaderTerm = 0;
  /** Terms whose leader's disk was wiped since: that disk no longer tells what the leader held. */
  private readonly wipedLeaderTerms = new Set<number>();

  /** `diskOf` gives a node's disk, where an earlier leader's log is looked up. */
  /** With `bootstrap` (the initial membership), each persisted config entry must change one member. */
  constructor(
    private readonly diskOf: (node: NodeId) => SimDisk,
    private readonly bootstrap: Membership | null = null,
  ) {}

  elections(): number {
    return this.leaderOfTerm.size;
  }

  committedCount(): number {
    return this.committed.size;
  }

  highestCommitted(): number {
    return this.maxCommitted;
  }

  /** `node` reports being leader in `term`; its disk already holds everything it campaigned with. */
  leader(node: NodeId, term: number, disk: SimDisk): void {
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== node) {
      throw new SimViolation("election-safety", `nodes ${other} and ${node} were both leader in term ${term}`);
    }
    if (other === node) return;
    this.leaderOfTerm.set(term, node);
    this.maxLeaderTerm = Math.max(this.maxLeaderTerm, term);
    for (const [index, c] of this.committed) {
      if (c.seenInTerm >= term || index <= disk.snapshotIndex()) continue;
      const e = disk.entry(index);
      if (e === undefined || e.term !== c.term || entryKey(e) !== c.data) {
        const has = e === undefined ? "nothing" : `term ${e.term}`;
        throw new SimViolation(
          "leader-completeness",
          `node ${node} became leader of term ${term} holding ${has} at index ${index}, committed there with term ${c.term} (seen on node ${c.node})`,
        );
      }
    }
  }

  /** After `disk` of `node` persisted `entries` (already on disk) and possibly a new commit. */
  persisted(node: NodeId, disk: SimDisk, entries: readonly Entry[], previousCommit: number): void {
    this.durable(node, this.written(node, disk, entries, previousCommit));
  }

  /**
   * Right after `node` wrote `entries` (and possibly a commit) to `disk`: the checks that hold of
   * the write itself, and what the checker records of it once it is durable — taken now, since
   * later writes may already have changed the disk by then.
   */
  written(node: NodeId, disk: SimDisk, entries: readonly Entry[], previousCommit: number): WrittenBatch {
    if (this.bootstrap !== null) checkOneChangeAtATime(node, disk, entries, this.bootstrap);
    const { commit, term } = disk.hardState();
    if (commit < previousCommit) {
      throw new SimViolation("commit-monotonic", `node ${node} persisted commit ${commit} below its earlier persisted ${previousCommit}`);
    }
    if (commit > disk.lastIndex()) {
      throw new SimViolation("durable-commit", `node ${node} persisted commit ${commit} beyond its persisted log end ${disk.lastIndex()}`);
    }
    const committed: Entry[] = [];
    for (let i = Math.max(previousCommit, disk.snapshotIndex()) + 1; i <= commit; i++) committed.push(disk.entry(i)!);
    return { entries: entries.map((e) => ({ entry: e, prevTerm: disk.term(e.index - 1) })), committed, term };
  }

  /** What `node` wrote (as `written` recorded it) is durable on its disk. */
  durable(node: NodeId, w: WrittenBatch): void {
    for (const { entry, prevTerm } of w.entries) this.logEntry(node, entry, prevTerm);
    for (const e of w.committed) this.commit(node, e, w.term);
  }

  /** `node` applied `e` to its state machine. */
  applied(node: NodeId, e: Entry): void {
    this.commit(node, e, this.diskOf(node).hardState().term);
  }

  /** A node (re)started: its commit may never drop below what it had persisted. */
  started(node: NodeId, persistedCommit: number): void {
    this.commitFloor.set(node, persistedCommit);
  }

  /**
   * `node`'s disk was wiped. Election safety still covers the terms it led; leader completeness was
   * checked for them when they were elected and while their disk lasted, and cannot be afterwards.
   */
  wiped(node: NodeId): void {
    for (const [term, leader] of this.leaderOfTerm) if (leader === node) this.wipedLeaderTerms.add(term);
  }

  /** After any step that touched `node`. */
  status(node: NodeId, s: Pick<MemberStatus, "commit" | "applied">, kvApplied: number): void {
    const floor = this.commitFloor.get(node) ?? 0;
    if (s.commit < floor) throw new SimViolation("commit-monotonic", `node ${node} commit went from ${floor} down to ${s.commit}`);
    this.commitFloor.set(node, s.commit);
    if (s.applied > s.commit || kvApplied > s.commit) {
      throw new SimViolation("applied-le-committed", `node ${node} applied ${Math.max(s.applied, kvApplied)} beyond its commit ${s.commit}`);
    }
  }

  /**
   * The entry was committed in a term ≤ seenInTerm, so every leader of a later term must have held
   * it when elected; a leader's log never loses a committed entry, so its disk must hold it now.
   */
  private laterLeadersHold(e: Entry, data: string, seenInTerm: number, seenBy: NodeId): void {
    for (const [term, leader] of this.leaderOfTerm) {
      if (term <= seenInTerm || this.wipedLeaderTerms.has(term)) continue;
      const disk = this.diskOf(leader);
      if (e.index <= disk.snapshotIndex()) continue;
      const held = disk.entry(e.index);
      if (held === undefined || held.term !== e.term || entryKey(held) !== data) {
        throw new SimViolation(
          "leader-completeness",
          `entry ${e.index}/term ${e.term}, seen committed by node ${seenBy} in term ${seenInTerm}, is missing from node ${leader}, leader of term ${term} (holds ${held ? `term ${held.term}` : "nothing"})`,
        );
      }
    }
  }

  private logEntry(node: NodeId, e: Entry, prevTerm: number | undefined): void {
    if (prevTerm === undefined) throw new SimViolation("ready", `node ${node} persisted entry ${e.index} with no predecessor on disk`);
    let byTerm = this.seen.get(e.index);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.seen.set(e.index, byTerm);
    }
    const data = entryKey(e);
    const known = byTerm.get(e.term);
    if (known === undefined) {
      byTerm.set(e.term, { data, prevTerm, node });
      return;
    }
    if (known.data !== data || known.prevTerm !== prevTerm) {
      throw new SimViolation(
        "log-matching",
        `entry ${e.index}/term ${e.term} differs between node ${known.node} (prev term ${known.prevTerm}, ${known.data.slice(0, 60)}) and node ${node} (prev term ${prevTerm}, ${data.slice(0, 60)})`,
      );
    }
  }

  /** `node`, whose persisted term is `seenInTerm`, knows `e` is committed. */
  private commit(node: NodeId, e: Entry, seenInTerm: number): void {
    const data = entryKey(e);
    const known = this.committed.get(e.index);
    if (known === undefined) {
      this.committed.set(e.index, { term: e.term, data, node, seenInTerm });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
      if (seenInTerm < this.maxLeaderTerm) this.laterLeadersHold(e, data, seenInTerm, node);
      return;
    }
    if (seenInTerm < known.seenInTerm) {
      known.seenInTerm = seenInTerm;
      if (seenInTerm < this.maxLeaderTerm) this.laterLeadersHold(e, data, seenInTerm, node);
    }
    if (known.term !== e.term || known.data !== data) {
      throw new SimViolation(
        "state-machine-safety",
        `index ${e.index} committed as term ${known.term} on node ${known.node} but as term ${e.term} on node ${node}`,
      );
    }
  }
}
