// Deliberately broken cores for the bug-injection tests (also: one that ignores directory ids). Figure 8: the leader commits an entry of
// a previous term as soon as a majority holds it (the rule Raft §5.4.2 forbids; figure 8 shows the
// committed entry being overwritten later). The simulator must catch it.
import { Raft } from "../../src/raft/index.ts";
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
