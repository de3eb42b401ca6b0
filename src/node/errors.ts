// Errors the node runtime adds to the contract's (contracts.ts). Each keeps a stable `code` so the
// API and console can map it; the ones a client should retry elsewhere extend NoLeaderError.
import { NoLeaderError } from "./contracts.ts";

/** The node is stopping or stopped; a pending wait cannot finish here. */
export class NodeStoppedError extends NoLeaderError {
  constructor(what: string) {
    super(`node is stopped; ${what} was abandoned, retry on another node`);
  }
}

/** A proposal was overwritten by another leader's entry at its index before it committed. */
export class ProposalLostError extends NoLeaderError {
  constructor(index: number, proposedTerm: number, committedTerm: number) {
    super(
      `proposal at index ${index} (term ${proposedTerm}) was replaced by an entry of term ${committedTerm} after a leader change; retry`,
    );
  }
}

/** The core refused a proposal for a reason that retrying elsewhere does not fix (e.g. too large). */
export class ProposalRejectedError extends Error {
  readonly code = "proposal_rejected";
}

/** A bound of the runtime (pending proposals, pending reads, waiters) is reached; shed load. */
export class OverloadedError extends Error {
  readonly code = "overloaded";
}

/** A snapshot cannot be taken (nothing applied yet) or the storage refused it. */
export class SnapshotError extends Error {
  readonly code = "snapshot";
}

/** The leader's forward handler failed or answered something the runtime cannot decode. */
export class ForwardError extends Error {
  readonly code = "forward_failed";
}

/** An invariant of the runtime does not hold: a bug; the node stops rather than diverge. */
export class RuntimeInvariantError extends Error {
  readonly code = "invariant";
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RuntimeInvariantError(message());
}
