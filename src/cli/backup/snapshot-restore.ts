// `yakt snapshot restore <file> --data-dir D --cluster-id C --node-id N --peers …`: a new data dir
// holding the backup's state, for a new cluster (its own id and membership). The store is formatted
// by the code `yakt format` uses, then the verified snapshot is installed as the store's latest,
// with the commit index at it: the node starts as if it had installed that snapshot from a leader.
// Run it on every member with the same file (etcdctl's way). A non-empty dir is refused; a failed
// restore removes what it wrote.
//
// All or nothing: the store is built whole in D/.restoring, closed and synced, and only then is its
// database renamed to D/yakt.db, the file a start looks for. Killed at any point before that rename,
// D holds no yakt.db, so a --peers start refuses it as not formatted (a voter that starts blank
// could elect a leader lacking the backup, then lose the writes it acknowledged); killed after it,
// D is fully restored. The temp dir is inside D, not beside it: D is writable (we write the store
// there anyway), its parent need not be (a StateDirectory, a mount point), and a rename within D
// never crosses file systems. The store records no path, so it does not matter where it was built.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeSnapshot } from "../../metadata/image-codec.ts";
import type { Membership } from "../../raft/types.ts";
import { StorageError } from "../../storage/storage-error.ts";
import { LOCK_FILE_SUFFIX, StoreLock } from "../../storage/store-lock.ts";
import { syncPath } from "../../storage/sync-path.ts";
import { ClientError } from "../cli-errors.ts";
import { DB_FILE, formatDataDir, openStore } from "../data-dir.ts";
import type { FormatConfig } from "../format-command.ts";
import { type BackupHeader, readBackup } from "./backup-file.ts";

/** Where the store is built, inside D. Only a restore writes it, and only a finished one removes it. */
export const RESTORE_TEMP_DIR = ".restoring";
/** The lock a node holds on D's store; a restore holds it too, so two never write D at once. */
const LOCK_FILE = `${DB_FILE}${LOCK_FILE_SUFFIX}`;
/** What a restore killed before its rename leaves in D: the lock (and its journal, kept while held) and the temp dir. */
const OURS = new Set([LOCK_FILE, `${LOCK_FILE}-journal`, RESTORE_TEMP_DIR]);

export interface RestoreConfig extends FormatConfig {
  /** The new cluster's voters and their peer addresses (must include nodeId). */
  peers: Map<number, string>;
}

/** formatted: the temp store is formatted; stored: it holds the snapshot, closed; committed: D/yakt.db is in place. */
export type RestoreStage = "formatted" | "stored" | "committed";

export interface RestoreOptions {
  /** Called as each stage is reached. Tests only: a crash point (a hook that SIGKILLs the process, or throws). */
  atStage?: (stage: RestoreStage) => void | Promise<void>;
  /** Where the note about removing an interrupted restore's temp dir goes; default stderr. */
  warn?: (line: string) => void;
}

export async function restoreSnapshot(file: string, config: RestoreConfig, options: RestoreOptions = {}): Promise<BackupHeader> {
  if (!config.peers.has(config.nodeId)) throw new ClientError(`--peers does not list node ${config.nodeId}; a restored node must be one of the new cluster's voters`);
  const dir = config.dataDir;
  refuseNonEmpty(dir); // early, before reading a large backup; again below, under the lock
  const { header, data } = await readBackup(file);
  const decoded = decodeSnapshot(data);
  if (!decoded.ok) throw new ClientError(`${file}: the snapshot inside does not decode: ${decoded.message}`);
  if (decoded.value.appliedIndex > header.index) throw new ClientError(`${file}: the snapshot covers index ${decoded.value.appliedIndex}, past the header's ${header.index}`);
  const created = !existsSync(dir);
  const lock = lockDataDir(dir);
  let writing = false;
  try {
    refuseNonEmpty(dir);
    writing = true;
    const temp = join(dir, RESTORE_TEMP_DIR);
    // A temp dir here was left by a restore killed before its rename (we hold the lock, so no
    // restore is running): it holds no complete store, only a start over is safe.
    if (existsSync(temp)) {
      (options.warn ?? warnOnStderr)(`removing ${temp}: left by an interrupted restore, it holds no complete store`);
      rmSync(temp, { recursive: true, force: true });
    }
    formatDataDir({ ...config, dataDir: temp });
    await options.atStage?.("formatted");
    const storage = openStore(temp);
    try {
      const meta = { index: header.index, term: header.term, membership: membershipOf(config.peers) };
      storage.persist({ hardState: { term: header.term, vote: 0, commit: header.index }, entries: [], snapshot: { meta, data } });
      // The new cluster's founders (founding-voters.ts): a member restored with other --peers is refused by the rest.
      storage.recordFoundingVoters([...config.peers.keys()]);
    } finally {
      storage.close();
    }
    leaveOnlyDatabase(temp);
    syncPath(join(temp, DB_FILE));
    await options.atStage?.("stored");
    renameSync(join(temp, DB_FILE), join(dir, DB_FILE)); // the commit point
    syncPath(dir);
    if (created) syncPath(dirname(dir));
    await options.atStage?.("committed");
    rmSync(temp, { recursive: true, force: true });
    return header;
  } catch (e) {
    lock.release();
    // The dir was new or empty before: leave it so again (not when it was refused: not ours).
    if (writing && created) rmSync(dir, { recursive: true, force: true });
    else if (writing) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    throw e;
  } finally {
    lock.release();
  }
}

/** Creates D if need be and takes its store's lock; refused while a node or another restore holds it. */
function lockDataDir(dir: string): StoreLock {
  try {
    // Owner only, as openStore makes it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return StoreLock.acquire(join(dir, DB_FILE), 0);
  } catch (e) {
    if (e instanceof StorageError && e.code === "locked") throw new ClientError(`--data-dir ${dir} is in use by another process (a node, or another restore): ${e.message}`);
    throw new ClientError(`--data-dir ${dir}: ${(e as Error).message}`);
  }
}

/** After close the WAL is folded into the database: yakt.db alone is the store. Drops the rest (the lock). */
function leaveOnlyDatabase(temp: string): void {
  for (const name of readdirSync(temp)) {
    if (name === DB_FILE) continue;
    const path = join(temp, name);
    if (name === `${DB_FILE}-wal` && statSync(path).size > 0) throw new Error(`${path} still holds ${statSync(path).size} bytes after the store was closed`);
    rmSync(path, { recursive: true, force: true });
  }
}

function warnOnStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Refuses a D holding anything but what a restore itself leaves when killed (OURS). */
function refuseNonEmpty(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dataDir).filter((name) => !OURS.has(name));
  } catch (e) {
    throw new ClientError(`--data-dir ${dataDir}: ${(e as Error).message}`);
  }
  if (entries.length > 0) throw new ClientError(`--data-dir ${dataDir} is not empty (${entries.slice(0, 3).join(", ")}…); restore writes only into a new or empty dir`);
}

function membershipOf(peers: Map<number, string>): Membership {
  const addresses: Record<string, string> = {};
  for (const [id, address] of peers) addresses[String(id)] = address;
  return { voters: [...peers.keys()], learners: [], addresses };
}
