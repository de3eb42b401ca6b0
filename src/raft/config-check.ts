// Validation of what the constructor is given: a bad config or a corrupt restore fails loudly at
// start rather than misbehaving later.
import { RaftConfigError } from "./errors.ts";
import { ENTRY_OVERHEAD_BYTES } from "./log.ts";
import { isValidMembership } from "./membership.ts";
import type { RaftConfig, RestoreState } from "./types.ts";

function positiveInt(name: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new RaftConfigError(`${name} must be a positive integer, got ${String(v)}`);
  }
}

export function checkConfig(c: RaftConfig): void {
  positiveInt("id", c.id);
  positiveInt("electionTick", c.electionTick);
  positiveInt("heartbeatTick", c.heartbeatTick);
  positiveInt("maxInflight", c.maxInflight);
  positiveInt("maxInflightBytes", c.maxInflightBytes);
  positiveInt("snapshotChunkBytes", c.snapshotChunkBytes);
  positiveInt("maxMsgBytes", c.maxMsgBytes);
  if (c.heartbeatTick >= c.electionTick) {
    throw new RaftConfigError(`heartbeatTick ${c.heartbeatTick} must be below electionTick ${c.electionTick}`);
  }
  if (c.maxMsgBytes <= ENTRY_OVERHEAD_BYTES) {
    throw new RaftConfigError(`maxMsgBytes ${c.maxMsgBytes} must exceed the per-entry overhead ${ENTRY_OVERHEAD_BYTES}`);
  }
  if (c.maxInflightBytes < c.maxMsgBytes) {
    throw new RaftConfigError(`maxInflightBytes ${c.maxInflightBytes} must be at least maxMsgBytes ${c.maxMsgBytes}, or a full App could never be in flight`);
  }
  if (typeof c.random !== "function") throw new RaftConfigError("random must be a function returning [0, 1)");
  if (!isValidMembership(c.initialMembership)) {
    throw new RaftConfigError(`initialMembership is not a valid membership: ${JSON.stringify(c.initialMembership)}`);
  }
}

export function checkRestore(r: RestoreState): void {
  const { term, vote, commit } = r.hardState;
  for (const [name, v] of [["term", term], ["vote", vote], ["commit", commit], ["applied", r.applied]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RaftConfigError(`restored ${name} must be a non-negative integer, got ${v}`);
  }
  const snapIndex = r.snapshot?.meta.index ?? 0;
  if (r.applied < snapIndex || r.applied > Math.max(commit, snapIndex)) {
    throw new RaftConfigError(`restored applied ${r.applied} outside [snapshot ${snapIndex}, commit ${commit}]`);
  }
  const lastTerm = r.entries.length > 0 ? r.entries[r.entries.length - 1].term : (r.snapshot?.meta.term ?? 0);
  if (lastTerm > term) throw new RaftConfigError(`restored last entry term ${lastTerm} is above the hard state term ${term}`);
  if (r.snapshot !== null && !isValidMembership(r.snapshot.meta.membership)) {
    throw new RaftConfigError(`restored snapshot at ${snapIndex} carries an invalid membership`);
  }
}
