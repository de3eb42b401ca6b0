// Public surface of the consensus core. `Raft` is driven by tick()/step()/propose…() and drained
// with ready()/advance(); see types.ts for the Ready processing order. A test may subclass Raft and
// override the protected maybeCommit() (using quorumMatchIndex() and commitTo()) to inject a bug.
export * from "./types.ts";
export { Raft, MAX_COMMITTED_PER_READY, MAX_OUTSTANDING_READYS, SAFETY_ALARMS } from "./raft.ts";
export { MAX_FORWARDED_READS } from "./reads.ts";
export { RaftError, RaftInvariantError, RaftConfigError, RaftUsageError, type RaftErrorCode } from "./errors.ts";
export { MAX_PENDING_READS } from "./read-only.ts";
export { MAX_SNAPSHOT_BYTES } from "./snapshot-receiver.ts";
export { ENTRY_OVERHEAD_BYTES } from "./log.ts";
export { splitEarlyMessages, type SplitMessages } from "./early-messages.ts";
