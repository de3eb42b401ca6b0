// The storage layer's public surface: what the node runtime imports.
export type { LogStorage, NodeIdentity, PersistBatch, StorageOptions, StoredSnapshotInfo, SweepBound } from "./log-storage.ts";
export { MemoryStorage } from "./memory-storage.ts";
export { DB_FILE_NAME, SqliteStorage } from "./sqlite-storage.ts";
export { StorageError, type StorageErrorCode } from "./storage-error.ts";
