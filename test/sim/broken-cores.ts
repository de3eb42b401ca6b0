// Deliberately broken cores for the bug-injection tests (also: one that ignores directory ids, and
// two whose leader serves reads without confirming it still leads). Figure 8: the leader commits an entry of
// a previous term as soon as a majority holds it (the rule Raft §5.4.2 forbids; figure 8 shows the
// committed entry being overwritten later). The simulator must catch it.
import { Raft } from "../../src/raft/index.ts";
import { Reads, type LeaderView } from "../../src/raft/reads.ts";
import type { Message } from "../../src/raft/types.ts";
import type { CoreFactory } from "./core.ts";

class Figure8Raft extends Raft {
  protected override maybeCommit(): boolean {
    const index = this.quorumMatchIndex();
    if (index <= this.log.committed) return false;
    this.commitTo(index);
    return true;
  }
}

export const figure8Core: CoreFactory = (config, restore) => new Figure8Raft(config, restore);

/** Broken the other way: a leader that never commits, so nothing can ever be acknowledged. */
class NeverCommitRaft extends Raft {
  protected override maybeCommit(): boolean {
    return false;
  }
}

export const neverCommitCore: CoreFactory = (config, restore) => new NeverCommitRaft(config, restore);

/**
 * A core that takes every member's word whatever its directory id: a node whose disk was wiped
 * votes and acknowledges as the member it replaced (KIP-853's directory ids ignored).
 */
class IgnoreDirectoryIdRaft extends Raft {
  protected override fromNamedMember(_m: Message): boolean {
    return true;
  }
}

export const ignoreDirectoryIdCore: CoreFactory = (config, restore) => new IgnoreDirectoryIdRaft(config, restore);

/**
 * The leader side of a core's reads, reached past `private` (the planted read bugs below break it
 * there, as a careless change to src/raft/reads.ts would). Checked, so a rename in the core fails
 * loudly instead of leaving a planted bug that no longer breaks anything.
 */
function readsOf(raft: Raft): Reads {
  const reads = (raft as unknown as { reads: unknown }).reads;
  if (!(reads instanceof Reads)) throw new Error("the core keeps no Reads in its `reads` field: the planted read bug would break nothing");
  return reads;
}

/**
 * "read-without-round": the leader answers every ReadIndex, its own and forwarded, at once with
 * its commit index — as if it alone were a quorum, so no heartbeat round ever confirms it still
 * leads. A leader deposed without knowing it serves what it holds: a stale read.
 */
export function answerReadsAtOnce(raft: Raft): void {
  const reads = readsOf(raft);
  const request = reads.request.bind(reads);
  const startWaiting = reads.startWaiting.bind(reads);
  const alone = (view: LeaderView): LeaderView => ({ ...view, voters: [raft.id] });
  reads.request = (req, view) => request(req, alone(view));
  reads.startWaiting = (view) => startWaiting(alone(view));
}

/**
 * "asker-quorum-any-size": the follower that asks is counted as the round's ack whatever the number
 * of voters (the one-round-trip shortcut of reads.ts taken with five voters too, where the leader
 * and the asker are no quorum). The leader's own reads, and reads that waited for its first commit
 * in the term, still take a round.
 */
export function countAskerAsQuorum(raft: Raft): void {
  const reads = readsOf(raft);
  const request = reads.request.bind(reads);
  reads.request = (req, view) => request(req, req.from === raft.id ? view : { ...view, voters: [raft.id, req.from] });
}

/** A core factory applying `breakReads` to the real core. */
function withBrokenReads(breakReads: (raft: Raft) => void): CoreFactory {
  return (config, restore) => {
    const raft = new Raft(config, restore);
    breakReads(raft);
    return raft;
  };
}

export const readWithoutRoundCore = withBrokenReads(answerReadsAtOnce);
export const askerQuorumAnySizeCore = withBrokenReads(countAskerAsQuorum);
