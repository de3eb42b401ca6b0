// Opening a node's data dir: the SQLite store inside it, formatted on first use when allowed, and
// refused when it was formatted for another cluster or node.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { NodeIdentity } from "../storage/log-storage.ts";
import { SqliteStorage, StorageError } from "../storage/index.ts";
import { StartupError } from "./cli-errors.ts";
import type { FormatConfig } from "./format-command.ts";
import { DEFAULT_CLUSTER_ID, type NodeConfig } from "./node-config.ts";

export const DB_FILE = "yakt.db";

export interface OpenedDataDir {
  storage: SqliteStorage;
  identity: NodeIdentity;
  /** The store was formatted by this start. */
  formatted: boolean;
}

export function openStore(dataDir: string): SqliteStorage {
  try {
    // Owner only: the log holds every record, and the node's files are nobody else's business.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const storage = SqliteStorage.open(join(dataDir, DB_FILE));
    for (const file of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) if (existsSync(join(dataDir, file))) chmodSync(join(dataDir, file), 0o600);
    return storage;
  } catch (e) {
    const code = e instanceof StorageError ? ` (${e.code})` : "";
    throw new StartupError(`cannot open data dir ${dataDir}${code}: ${(e as Error).message}`);
  }
}

export function openDataDir(config: NodeConfig): OpenedDataDir {
  const storage = openStore(config.dataDir);
  try {
    return { storage, ...checkIdentity(storage, config) };
  } catch (e) {
    storage.close();
    throw e;
  }
}

function checkIdentity(storage: SqliteStorage, config: NodeConfig): { identity: NodeIdentity; formatted: boolean } {
  const stored = storage.identity();
  if (stored === null) {
    if (config.peersGiven && config.clusterId === null) {
      throw new StartupError(
        `data dir ${config.dataDir} is not formatted: pass --cluster-id <id> to format it on start, ` +
          `or run: yakt format --cluster-id <id> --node-id ${config.nodeId} --data-dir ${config.dataDir}`,
      );
    }
    const identity = { clusterId: config.clusterId ?? DEFAULT_CLUSTER_ID, nodeId: config.nodeId };
    storage.format(identity);
    return { identity, formatted: true };
  }
  if (config.clusterId !== null && stored.clusterId !== config.clusterId) {
    throw new StartupError(
      `data dir ${config.dataDir} belongs to cluster "${stored.clusterId}", not "${config.clusterId}"; refusing to start`,
    );
  }
  if (stored.nodeId !== config.nodeId) {
    throw new StartupError(`data dir ${config.dataDir} belongs to node ${stored.nodeId}, not node ${config.nodeId}; refusing to start`);
  }
  return { identity: stored, formatted: false };
}

/** `yakt format`: stamp the identity; the same identity again is fine, another is refused. */
export function formatDataDir(config: FormatConfig): { alreadyFormatted: boolean } {
  const storage = openStore(config.dataDir);
  try {
    const before = storage.identity();
    storage.format({ clusterId: config.clusterId, nodeId: config.nodeId });
    return { alreadyFormatted: before !== null };
  } catch (e) {
    if (e instanceof StorageError && e.code === "identity_mismatch") {
      throw new StartupError(`data dir ${config.dataDir} is already formatted differently: ${e.message}`);
    }
    throw e;
  } finally {
    storage.close();
  }
}
