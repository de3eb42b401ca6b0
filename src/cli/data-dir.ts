// Opening a node's data dir: the SQLite store inside it, refused when it was formatted for another
// cluster or node, and — for a node of a multi-node cluster — refused when it is missing, empty or
// unformatted. Only `yakt format` formats such a data dir, never a start: a voter whose disk was
// lost must not rejoin silently with no vote and no log (it could vote twice in a term, or help
// elect a leader that lacks committed entries). The flagless one-node default formats itself.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { NodeIdentity } from "../storage/log-storage.ts";
import type { StorageLog } from "../storage/storage-log.ts";
import { SqliteStorage, StorageError } from "../storage/index.ts";
import { LOCK_FILE_SUFFIX } from "../storage/store-lock.ts";
import { StartupError } from "./cli-errors.ts";
import { requireDirectory } from "./data-dir-path.ts";
import type { FormatConfig } from "./format-command.ts";
import { DEFAULT_CLUSTER_ID, type NodeConfig } from "./node-config.ts";

export const DB_FILE = "yakt.db";

export interface OpenedDataDir {
  storage: SqliteStorage;
  identity: NodeIdentity;
  /** The store was formatted by this start (the one-node default only). */
  formatted: boolean;
}

/**
 * `log` receives the store's own events (a failed checkpoint worker, a forced checkpoint); default
 * stderr. `hint` (what to do about a missing or lost store) is added to a failure unless the data
 * dir is no directory or another process holds it: formatting or replacing the node is then wrong.
 */
export function openStore(dataDir: string, hint = "", log?: StorageLog): SqliteStorage {
  requireDirectory(dataDir);
  try {
    // Owner only: the log holds every record, and the node's files are nobody else's business.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const storage = SqliteStorage.open(join(dataDir, DB_FILE), { log });
    for (const file of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) if (existsSync(join(dataDir, file))) chmodSync(join(dataDir, file), 0o600);
    return storage;
  } catch (e) {
    if (e instanceof StorageError && e.code === "locked") throw new StartupError(lockedMessage(dataDir));
    const code = e instanceof StorageError ? ` (${e.code})` : "";
    throw new StartupError(`cannot open data dir ${dataDir}${code}: ${(e as Error).message}${hint}`);
  }
}

/** A start formats its data dir only as the one-node default: no --peers. */
function mayFormatOnStart(config: NodeConfig): boolean {
  return !config.peersGiven;
}

export function openDataDir(config: NodeConfig, log?: StorageLog): OpenedDataDir {
  requireDirectory(config.dataDir);
  const advice = mayFormatOnStart(config) ? "" : formatAdvice(config);
  if (!mayFormatOnStart(config)) requireDatabaseFile(config, advice);
  const storage = openStore(config.dataDir, advice, log);
  try {
    return { storage, ...checkIdentity(storage, config, advice) };
  } catch (e) {
    storage.close();
    throw e;
  }
}

/** Missing or empty (0 bytes, e.g. `: > yakt.db`): refused before anything is written. */
function requireDatabaseFile(config: NodeConfig, advice: string): void {
  const path = join(config.dataDir, DB_FILE);
  if (!existsSync(path)) throw new StartupError(`refusing to start: ${path} does not exist (data dir not formatted, or lost)${advice}`);
  if (statSync(path).size === 0) throw new StartupError(`refusing to start: ${path} is empty (0 bytes)${advice}`);
}

/** Another process holds the store's lock: no format or replace advice, the node is alive. */
function lockedMessage(dataDir: string): string {
  const lockFile = `${join(dataDir, DB_FILE)}${LOCK_FILE_SUFFIX}`;
  const pid = lockHolderPid(lockFile);
  const who = pid === null ? "another process" : `another process (pid ${pid})`;
  return `data dir ${dataDir} is in use by ${who}, which holds its lock ${lockFile}; stop that process first, or use another --data-dir`;
}

/**
 * The process holding a POSIX write lock on `file`, from Linux's /proc/locks (lines such as
 * "5: POSIX  ADVISORY  WRITE 10626 fe:00:2418453 1073741824 1073742335"), matched by inode;
 * null where that is unknown, or the holder is this process.
 */
function lockHolderPid(file: string): number | null {
  try {
    const inode = String(statSync(file).ino);
    for (const line of readFileSync("/proc/locks", "utf8").split("\n")) {
      const [, kind, , mode, pid, where] = line.trim().split(/\s+/); // blocked waiters ("->") do not match POSIX
      if (kind !== "POSIX" || mode !== "WRITE" || where?.split(":")[2] !== inode) continue;
      const n = Number(pid);
      if (Number.isSafeInteger(n) && n > 0 && n !== process.pid) return n;
    }
  } catch {
    // no /proc/locks (not Linux) or the file is gone: the message goes without a pid
  }
  return null;
}

/** What an operator does about a data dir a multi-node start refuses. */
function formatAdvice(config: NodeConfig): string {
  const cluster = config.clusterId ?? "<cluster-id>";
  return (
    `. A node started with --peers never formats its data dir itself. ` +
    `For a new cluster, format each node first: yakt format --cluster-id ${cluster} --node-id ${config.nodeId} --data-dir ${config.dataDir}. ` +
    `If node ${config.nodeId} was a voter and lost its data, formatting is not enough: format it, start it, ` +
    `then replace it from the leader's console (remove-voter ${config.nodeId}, then add-voter ${config.nodeId}@<host>:<port>); ` +
    `until then the cluster does not count it (see README, "Losing a disk")`
  );
}

function checkIdentity(storage: SqliteStorage, config: NodeConfig, advice: string): { identity: NodeIdentity; formatted: boolean } {
  const stored = storage.identity();
  if (stored === null) {
    if (!mayFormatOnStart(config)) throw new StartupError(`refusing to start: data dir ${config.dataDir} is not formatted${advice}`);
    storage.format({ clusterId: config.clusterId ?? DEFAULT_CLUSTER_ID, nodeId: config.nodeId });
    return { identity: storage.identity() as NodeIdentity, formatted: true };
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

/**
 * `yakt format`: stamp the identity with a fresh random directory id; the same cluster and node
 * again is fine (and keeps the first directory id), another is refused.
 */
export function formatDataDir(config: FormatConfig): { alreadyFormatted: boolean; identity: NodeIdentity } {
  const storage = openStore(config.dataDir);
  try {
    const before = storage.identity();
    storage.format({ clusterId: config.clusterId, nodeId: config.nodeId });
    return { alreadyFormatted: before !== null, identity: storage.identity() as NodeIdentity };
  } catch (e) {
    if (e instanceof StorageError && e.code === "identity_mismatch") {
      throw new StartupError(`data dir ${config.dataDir} is already formatted differently: ${e.message}`);
    }
    throw e;
  } finally {
    storage.close();
  }
}
