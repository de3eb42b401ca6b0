// Defaults and bounds for both storages, resolved once so every check reads the same numbers.
import type { StorageOptions } from "./log-storage.ts";
import { type StorageLog, stderrStorageLog } from "./storage-log.ts";

export interface StorageLimits {
  maxEntryBytes: number;
  maxBatchEntries: number;
  maxSnapshotBytes: number;
}

export interface ResolvedOptions extends StorageLimits {
  retainSnapshots: number;
  busyTimeoutMs: number;
  checkpointIntervalMs: number;
  walHardLimitBytes: number;
  log: StorageLog;
  /** Test seam (StorageOptions.checkpointWorkerUrl); null = the built-in worker. */
  checkpointWorkerUrl: string | null;
  now: () => number;
  /** Test seam (StorageOptions.skipChecksums): reads do not check checksums. */
  skipChecksums: boolean;
}

const MIB = 1024 * 1024;
/** SQLite's default SQLITE_MAX_LENGTH: no blob may be longer. */
export const SQLITE_MAX_BLOB_BYTES = 1_000_000_000;
export const DEFAULT_OPTIONS: Omit<ResolvedOptions, "now" | "skipChecksums" | "log" | "checkpointWorkerUrl"> = {
  retainSnapshots: 3,
  busyTimeoutMs: 5_000,
  // A round copies what ~0.5 s of writes put in the WAL; its two fsyncs are the worker's, not the loop's.
  checkpointIntervalMs: 500,
  // Far above what the worker leaves behind; reached only when it cannot keep up or finish.
  walHardLimitBytes: 256 * MIB,
  maxEntryBytes: 16 * MIB,
  maxBatchEntries: 65_536,
  // SQLite's default blob limit is 1e9 bytes; stay well under it.
  maxSnapshotBytes: 512 * MIB,
};

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`storage option ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(opts: StorageOptions = {}): ResolvedOptions {
  const merged = { ...DEFAULT_OPTIONS, ...opts };
  for (const name of ["maxSnapshotBytes", "maxEntryBytes"] as const) {
    if (merged[name] > SQLITE_MAX_BLOB_BYTES) {
      throw new RangeError(`storage option ${name} ${merged[name]} is over SQLite's blob limit of ${SQLITE_MAX_BLOB_BYTES}`);
    }
  }
  return {
    retainSnapshots: positive("retainSnapshots", merged.retainSnapshots),
    busyTimeoutMs: positive("busyTimeoutMs", merged.busyTimeoutMs),
    checkpointIntervalMs: positive("checkpointIntervalMs", merged.checkpointIntervalMs),
    walHardLimitBytes: positive("walHardLimitBytes", merged.walHardLimitBytes),
    log: opts.log ?? stderrStorageLog,
    checkpointWorkerUrl: opts.checkpointWorkerUrl ?? null,
    maxEntryBytes: positive("maxEntryBytes", merged.maxEntryBytes),
    maxBatchEntries: positive("maxBatchEntries", merged.maxBatchEntries),
    maxSnapshotBytes: positive("maxSnapshotBytes", merged.maxSnapshotBytes),
    now: opts.now ?? Date.now,
    skipChecksums: opts.skipChecksums === true,
  };
}
