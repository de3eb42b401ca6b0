// Reads where the stored log stands and refuses a database whose log breaks the invariants the
// writes keep (contiguous after the snapshot, terms ordered, commit within the log): such a file
// was damaged or written by something else, and restarting Raft from it would be unsafe.
import type { HardState } from "../raft/types.ts";
import type { Statements } from "./sqlite-statements.ts";
import { StorageError } from "./storage-error.ts";
import type { LogBounds } from "./write-plan.ts";

function corrupt(path: string, what: string): StorageError {
  return new StorageError("corrupt", `database ${path}: ${what}`);
}

export function readHardState(st: Statements): HardState {
  const row = st.hardState.get();
  return row === null ? { term: 0, vote: 0, commit: 0 } : { term: row.term, vote: row.vote, commit: row.commit_index };
}

export function readCheckedBounds(st: Statements, path: string): LogBounds {
  const hardState = readHardState(st);
  const snap = st.listSnapshots.all()[0];
  const snapshotIndex = snap?.idx ?? 0;
  const snapshotTerm = snap?.term ?? 0;
  const shape = st.logShape.get() ?? { lo: null, hi: null, n: 0 };
  let lastIndex = snapshotIndex;
  let lastTerm = snapshotTerm;
  if (shape.n > 0 && shape.lo !== null && shape.hi !== null) {
    if (shape.lo !== snapshotIndex + 1) {
      throw corrupt(path, `log starts at ${shape.lo}, expected ${snapshotIndex + 1} after the snapshot at ${snapshotIndex}`);
    }
    if (shape.hi - shape.lo + 1 !== shape.n) {
      throw corrupt(path, `log ${shape.lo}..${shape.hi} holds ${shape.n} entries: it has gaps`);
    }
    const drop = st.firstTermDrop.get();
    if (drop !== null) throw corrupt(path, `entry ${drop.idx} has a lower term than the entry before it`);
    const first = st.firstEntry.get();
    if (first !== null && first.term < snapshotTerm) {
      throw corrupt(path, `entry ${first.idx} has a term below the snapshot's term ${snapshotTerm}`);
    }
    const last = st.lastEntry.get();
    lastIndex = shape.hi;
    lastTerm = last?.term ?? snapshotTerm;
  }
  if (hardState.commit > lastIndex) throw corrupt(path, `commit ${hardState.commit} is past the last index ${lastIndex}`);
  if (lastTerm > hardState.term) throw corrupt(path, `log term ${lastTerm} is ahead of the hard state's term ${hardState.term}`);
  return { snapshotIndex, snapshotTerm, lastIndex, lastTerm, hardState };
}
