// What both kinds of simulated node share about their disk: its directory id (KIP-853), the
// membership a blank disk starts from, wiping and formatting it anew, starting a blank node as a
// joiner, and whether the disk binds a member to a directory id in its committed prefix.
import { boundDirectory } from "../../src/raft/directory-ids.ts";
import { decodeMembership, type Membership, type NodeId } from "../../src/raft/types.ts";
import type { SafetyChecker } from "./safety-checker.ts";
import type { SimDisk } from "./sim-disk.ts";

export abstract class NodeWithDisk {
  /** The directory id of the node's current disk; a wipe formats the disk with a new one. */
  directoryId: string;
  private wipes = 0;
  /** The membership a blank disk starts from: the bootstrap voters, or the peers the operator names after a wipe. */
  protected bootstrap: Membership;

  constructor(
    readonly id: NodeId,
    public disk: SimDisk,
    bootstrap: Membership,
    private readonly diskChecker: SafetyChecker,
    private readonly diskTrace: (line: string) => void,
  ) {
    this.bootstrap = bootstrap;
    this.directoryId = `d${id}`;
  }

  abstract isUp(): boolean;
  abstract start(): void;
  abstract crash(): void;

  /**
   * The disk is lost and formatted anew: down (if it was up), an empty disk with a new directory
   * id. It restarts from nothing, as a new process on the new disk would, with the cluster's
   * current members as its peers (what the operator passes it).
   */
  wipe(peers: Membership): void {
    this.bootstrap = peers;
    if (this.isUp()) this.crash();
    this.disk = this.disk.blank();
    this.directoryId = `d${this.id}.${++this.wipes}`;
    this.diskChecker.wiped(this.id);
    this.diskTrace(`n${this.id} disk wiped, formatted with directory id ${this.directoryId}`);
  }

  /** The operator starts this blank node as a joiner of the cluster `peers` describes (restarting it if up). */
  joinWith(peers: Membership): void {
    if (JSON.stringify(peers) === JSON.stringify(this.bootstrap)) return;
    this.bootstrap = peers;
    if (!this.isUp()) return;
    this.crash();
    this.start();
  }

  /**
   * Whether this node's disk binds `id` to `directoryId` for good: in its committed prefix (the
   * log up to its durable commit, else its snapshot, else the bootstrap). A binding only in the
   * uncommitted tail can still be truncated by a leader that lacks it, and then this voter counts
   * the wiped node's votes again (seeds 17237, 66352: a term-4 binding of n2 on n1 was overwritten
   * by term-5 entries). Entries up to a commit are never truncated, so this stays true.
   */
  durablyBinds(id: NodeId, directoryId: string): boolean {
    return boundDirectory(this.committedMembership(), id) === directoryId;
  }

  /**
   * The memberships this disk may act on after a restart: its committed one (or, blank, the
   * bootstrap's) and the latest config entry it holds at all (configs take effect when appended).
   * A node counts itself a voter, and campaigns, in whichever it acts on.
   */
  memberships(): Membership[] {
    const committed = this.committedMembership();
    for (let i = this.disk.lastIndex(); i > this.disk.snapshotIndex(); i--) {
      const e = this.disk.entry(i);
      if (e?.type === "config") return [committed, decodeMembership(e.data)];
    }
    return [committed];
  }

  private committedMembership(): Membership {
    // Only what a crash cannot take back: the durable commit, below every unflushed change.
    const durable = Math.min(this.disk.durableHardState().commit, this.disk.lastIndex(), this.disk.unflushedFloor() - 1);
    for (let i = durable; i > this.disk.snapshotIndex(); i--) {
      const e = this.disk.entry(i)!;
      if (e.type === "config") return decodeMembership(e.data);
    }
    return this.disk.snapshot()?.meta.membership ?? this.bootstrap;
  }
}
