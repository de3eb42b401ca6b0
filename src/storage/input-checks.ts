// Shape checks of what callers hand to storage, before any invariant is looked at: a malformed
// value is rejected with the field and value that were wrong, and nothing is written.
import { checkNodeId } from "../raft/peer-address.ts";
import type { Entry, HardState, Membership, Snapshot } from "../raft/types.ts";
import { randomUUID } from "node:crypto";
import { isDirectoryId } from "../raft/directory-ids.ts";
import type { FormatIdentity, NodeIdentity, SweepBound } from "./log-storage.ts";
import type { StorageLimits } from "./storage-options.ts";
import { StorageError } from "./storage-error.ts";

/** Bound on a cluster id, so a bad caller cannot stamp megabytes into the identity. */
export const MAX_CLUSTER_ID_LENGTH = 256;

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/** The identity to stamp: checked, with a random directory id drawn when none is given. */
export function identityToStamp(id: FormatIdentity): NodeIdentity {
  checkIdentity(id);
  const directoryId = id.directoryId ?? randomUUID();
  if (!isDirectoryId(directoryId) || directoryId === "") {
    throw new StorageError("invalid_identity", `directory id must be a string of 1..64 characters, got ${JSON.stringify(directoryId)}`);
  }
  return { clusterId: id.clusterId, nodeId: id.nodeId, directoryId };
}

export function checkIdentity(id: FormatIdentity): void {
  const { clusterId, nodeId } = id ?? ({} as FormatIdentity);
  if (typeof clusterId !== "string" || clusterId.length === 0 || clusterId.length > MAX_CLUSTER_ID_LENGTH) {
    throw new StorageError(
      "invalid_identity",
      `cluster id must be a string of 1..${MAX_CLUSTER_ID_LENGTH} characters, got ${JSON.stringify(clusterId)}`,
    );
  }
  const checked = checkNodeId(nodeId);
  if (!checked.ok) throw new StorageError("invalid_identity", checked.message);
}

export function checkEntry(e: Entry, limits: StorageLimits): void {
  if (e === null || typeof e !== "object") {
    throw new StorageError("invalid_entry", `entry must be an object, got ${String(e)}`);
  }
  if (!isCount(e.index) || e.index === 0) {
    throw new StorageError("invalid_entry", `entry index must be a positive integer, got ${String(e.index)}`);
  }
  if (!isCount(e.term) || e.term === 0) {
    throw new StorageError("invalid_entry", `entry ${e.index}: term must be a positive integer, got ${String(e.term)}`);
  }
  if (e.type !== "normal" && e.type !== "config") {
    throw new StorageError("invalid_entry", `entry ${e.index}: type must be "normal" or "config", got ${JSON.stringify(e.type)}`);
  }
  if (!(e.data instanceof Uint8Array)) {
    throw new StorageError("invalid_entry", `entry ${e.index}: data must be a Uint8Array`);
  }
  if (e.data.byteLength > limits.maxEntryBytes) {
    throw new StorageError(
      "too_large",
      `entry ${e.index}: data is ${e.data.byteLength} bytes, over the bound of ${limits.maxEntryBytes}`,
    );
  }
}

/** Entries of one batch: each well formed, indexes consecutive, terms never going down. */
export function checkEntryRun(entries: Entry[], limits: StorageLimits): void {
  if (!Array.isArray(entries)) throw new StorageError("invalid_entry", "entries must be an array");
  if (entries.length > limits.maxBatchEntries) {
    throw new StorageError(
      "too_large",
      `batch holds ${entries.length} entries, over the bound of ${limits.maxBatchEntries}`,
    );
  }
  entries.forEach((e, i) => {
    checkEntry(e, limits);
    if (i === 0) return;
    const prev = entries[i - 1];
    if (e.index !== prev.index + 1) {
      throw new StorageError("log_gap", `batch entries are not consecutive: ${prev.index} is followed by ${e.index}`);
    }
    if (e.term < prev.term) {
      throw new StorageError("term_regression", `entry ${e.index} has term ${e.term}, below ${prev.term} of entry ${prev.index}`);
    }
  });
}

export function checkHardState(hs: HardState): void {
  if (hs === null || typeof hs !== "object" || !isCount(hs.term) || !isCount(hs.vote) || !isCount(hs.commit)) {
    throw new StorageError(
      "invalid_hard_state",
      `hard state needs non-negative integer term, vote and commit, got ${JSON.stringify(hs)}`,
    );
  }
}

function checkMembership(m: Membership, index: number): void {
  const ok =
    m !== null &&
    typeof m === "object" &&
    Array.isArray(m.voters) &&
    Array.isArray(m.learners) &&
    [...m.voters, ...m.learners].every((id) => isCount(id) && id > 0) &&
    m.addresses !== null &&
    typeof m.addresses === "object";
  if (!ok) {
    throw new StorageError("invalid_snapshot", `snapshot at ${index}: membership is malformed: ${JSON.stringify(m)}`);
  }
}

export function checkSnapshot(s: Snapshot, limits: StorageLimits): void {
  if (s === null || typeof s !== "object" || s.meta === null || typeof s.meta !== "object") {
    throw new StorageError("invalid_snapshot", "snapshot must be an object with a meta");
  }
  const { index, term, membership } = s.meta;
  if (!isCount(index) || index === 0 || !isCount(term) || term === 0) {
    throw new StorageError(
      "invalid_snapshot",
      `snapshot index and term must be positive integers, got index ${String(index)} term ${String(term)}`,
    );
  }
  checkMembership(membership, index);
  if (!(s.data instanceof Uint8Array)) {
    throw new StorageError("invalid_snapshot", `snapshot at ${index}: data must be a Uint8Array`);
  }
  if (s.data.byteLength > limits.maxSnapshotBytes) {
    throw new StorageError(
      "too_large",
      `snapshot at ${index} is ${s.data.byteLength} bytes, over the bound of ${limits.maxSnapshotBytes}`,
    );
  }
}

/** The next chunk of the pending snapshot at `index`, which holds `pendingBytes` so far. */
export function checkChunk(data: Uint8Array, index: number, pendingBytes: number, maxSnapshotBytes: number): void {
  if (!(data instanceof Uint8Array)) {
    throw new StorageError("invalid_snapshot", `a chunk of the snapshot at ${index} must be a Uint8Array, got ${typeof data}`);
  }
  if (pendingBytes + data.byteLength > maxSnapshotBytes) {
    throw new StorageError("too_large", `snapshot at ${index} would exceed ${maxSnapshotBytes} bytes`);
  }
}

/** A range of a stored snapshot to read: whole numbers, inside the snapshot's `size` bytes. */
export function checkSnapshotRange(index: number, size: number, offset: number, length: number): void {
  const whole = [index, size, offset, length].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!whole || offset + length > size) {
    throw new StorageError("internal", `cannot read ${length} bytes at ${offset} of the ${size}-byte snapshot at ${index}`);
  }
}

export function checkSweepBound(bound: SweepBound): void {
  for (const [name, n] of [["entries", bound?.entries], ["chunks", bound?.chunks]] as const) {
    if (!Number.isSafeInteger(n) || (n as number) < 0) {
      throw new StorageError("internal", `sweep bound of ${name} must be a non-negative integer, got ${String(n)}`);
    }
  }
}
