// `yakt recover`: after a quorum is lost for good, rewrite a stopped survivor's membership from its
// own log (etcd's --force-new-cluster). One config entry naming the new voters is appended after the
// log's last entry, in the node's current term, and the commit index moves onto it, so the node
// restarts with that membership and elects itself (alone, or with the votes of freshly formatted
// nodes started as joiners, whose empty logs make this one the most up to date). Every entry in this log becomes committed, including any no majority acknowledged; what was
// committed only on the lost nodes is gone. The database must not be held by a running node.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { decodeMembership, encodeMembership, type Entry, type HardState, type Membership, type NodeId, type RestoreState } from "../raft/types.ts";
import type { LogStorage, NodeIdentity } from "../storage/log-storage.ts";
import { SqliteStorage, StorageError } from "../storage/index.ts";
import { StartupError } from "./cli-errors.ts";
import { DB_FILE } from "./data-dir.ts";
import type { RecoverConfig } from "./recover-command.ts";

/** A running node holds the database's lock; do not wait for it, say so. */
const LOCK_WAIT_MS = 200;

export interface RecoveryPlan {
  /** The membership in force before (null: the log never changed the initial --peers one). */
  before: Membership | null;
  after: Membership;
  entry: Entry;
  hardState: HardState;
  /** The commit index before; entries after it, up to entry.index - 1, become committed. */
  previousCommit: number;
}

/** What to write, or why not: pure, from what the store holds. */
export function planRecovery(restore: RestoreState, identity: NodeIdentity, voters: Map<NodeId, string>): RecoveryPlan {
  if (!voters.has(identity.nodeId)) {
    throw new StartupError(`--voters must include this node (${identity.nodeId}), the one that is recovered; got ${[...voters.keys()].join(", ")}`);
  }
  const last = restore.entries.at(-1) ?? null;
  const lastIndex = last?.index ?? restore.snapshot?.meta.index ?? 0;
  const lastTerm = last?.term ?? restore.snapshot?.meta.term ?? 0;
  if (lastIndex === 0) throw new StartupError("the log is empty: there is nothing to recover; format this node anew and add it instead");
  const term = Math.max(restore.hardState.term, lastTerm);
  const after: Membership = { voters: [...voters.keys()], learners: [], addresses: Object.fromEntries([...voters].map(([id, a]) => [String(id), a])) };
  const entry: Entry = { index: lastIndex + 1, term, type: "config", data: encodeMembership(after) };
  return {
    before: membershipIn(restore),
    after,
    entry,
    hardState: { term, vote: restore.hardState.vote, commit: entry.index },
    previousCommit: restore.hardState.commit,
  };
}

function membershipIn(restore: RestoreState): Membership | null {
  for (let i = restore.entries.length - 1; i >= 0; i--) {
    const e = restore.entries[i];
    if (e.type === "config") return decodeMembership(e.data);
  }
  return restore.snapshot?.meta.membership ?? null;
}

/** Apply the plan to a store (one transaction); returns the report lines. */
export function recoverStore(storage: LogStorage, voters: Map<NodeId, string>, dataDir: string): string[] {
  const identity = storage.identity();
  if (identity === null) throw new StartupError(`data dir ${dataDir} is not formatted: there is nothing to recover`);
  const plan = planRecovery(storage.load(), identity, voters);
  storage.persist({ hardState: plan.hardState, entries: [plan.entry], snapshot: null });
  const after = storage.load();
  if (after.hardState.commit !== plan.entry.index || after.entries.at(-1)?.index !== plan.entry.index) {
    throw new StartupError(`recover wrote entry ${plan.entry.index} but the store now ends at ${after.entries.at(-1)?.index} with commit ${after.hardState.commit}`);
  }
  return report(plan, identity, dataDir);
}

function report(plan: RecoveryPlan, identity: NodeIdentity, dataDir: string): string[] {
  const show = (m: Membership | null) =>
    m === null ? "the initial --peers" : `voters [${m.voters.join(", ")}], learners [${m.learners.join(", ")}]`;
  const newlyCommitted = plan.entry.index - 1 - plan.previousCommit;
  const others = plan.after.voters.filter((id) => id !== identity.nodeId);
  return [
    `recovered data dir ${dataDir} (cluster ${identity.clusterId}, node ${identity.nodeId})`,
    `membership was ${show(plan.before)}; now ${show(plan.after)} (config entry ${plan.entry.index}, term ${plan.entry.term})`,
    newlyCommitted > 0
      ? `commit index ${plan.previousCommit} -> ${plan.entry.index}: entries ${plan.previousCommit + 1}..${plan.entry.index - 1}, never known to be committed, are now committed`
      : `commit index ${plan.previousCommit} -> ${plan.entry.index}: the log held no uncommitted entries`,
    others.length === 0
      ? "start the node as before; it elects itself. Format new nodes and add them with add-voter."
      : `start the node as before; format nodes ${others.join(", ")} anew and start each as a joiner (its --peers naming ` +
        `node ${identity.nodeId}, not itself): they vote for node ${identity.nodeId} and catch up from it.`,
  ];
}

/** `yakt recover`: open the stopped node's database (refusing one a running node holds), rewrite, report. */
export function recoverDataDir(config: RecoverConfig): string[] {
  const path = join(config.dataDir, DB_FILE);
  if (!existsSync(path)) throw new StartupError(`no database at ${path}: is --data-dir the node's data dir?`);
  let storage: SqliteStorage;
  try {
    storage = SqliteStorage.open(path, { busyTimeoutMs: LOCK_WAIT_MS });
  } catch (e) {
    if (e instanceof StorageError && e.code === "locked") {
      throw new StartupError(`data dir ${config.dataDir} is in use by a running node: stop it first (recover rewrites a stopped node only)`);
    }
    throw new StartupError(`cannot open data dir ${config.dataDir}: ${(e as Error).message}`);
  }
  try {
    return recoverStore(storage, config.voters, config.dataDir);
  } finally {
    storage.close();
  }
}
