// Errors of the consensus core. Peer input never raises these: a garbled or stale message is
// ignored. They signal a broken internal invariant or a misuse of the API by the runtime.

export type RaftErrorCode = "raft_invariant" | "raft_config" | "raft_usage";

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RaftError";
  }
}

/** An internal invariant broke: the core's state can no longer be trusted. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super("raft_invariant", message);
  }
}

/** The RaftConfig or RestoreState handed to the constructor is unusable. */
export class RaftConfigError extends RaftError {
  constructor(message: string) {
    super("raft_config", message);
  }
}

/** The runtime called the core out of contract (foreign Ready, compaction beyond applied…). */
export class RaftUsageError extends RaftError {
  constructor(message: string) {
    super("raft_usage", message);
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}
