// `yakt snapshot restore <file> --data-dir D --cluster-id C --node-id N --peers …`: a new data dir
// holding the backup's state, for a new cluster (its own id and membership). The dir is formatted
// by the code `yakt format` uses, then the verified snapshot is installed as the store's latest,
// with the commit index at it: the node starts as if it had installed that snapshot from a leader.
// Run it on every member with the same file (etcdctl's way). A non-empty dir is refused; a failed
// restore removes what it wrote.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { decodeSnapshot } from "../../metadata/image-codec.ts";
import type { Membership } from "../../raft/types.ts";
import { ClientError } from "../cli-errors.ts";
import { formatDataDir, openStore } from "../data-dir.ts";
import type { FormatConfig } from "../format-command.ts";
import { type BackupHeader, readBackup } from "./backup-file.ts";

export interface RestoreConfig extends FormatConfig {
  /** The new cluster's voters and their peer addresses (must include nodeId). */
  peers: Map<number, string>;
}

export async function restoreSnapshot(file: string, config: RestoreConfig): Promise<BackupHeader> {
  if (!config.peers.has(config.nodeId)) throw new ClientError(`--peers does not list node ${config.nodeId}; a restored node must be one of the new cluster's voters`);
  refuseNonEmpty(config.dataDir);
  const { header, data } = await readBackup(file);
  const decoded = decodeSnapshot(data);
  if (!decoded.ok) throw new ClientError(`${file}: the snapshot inside does not decode: ${decoded.message}`);
  if (decoded.value.appliedIndex > header.index) throw new ClientError(`${file}: the snapshot covers index ${decoded.value.appliedIndex}, past the header's ${header.index}`);
  const created = !existsSync(config.dataDir);
  try {
    formatDataDir(config);
    const storage = openStore(config.dataDir);
    try {
      const meta = { index: header.index, term: header.term, membership: membershipOf(config.peers) };
      storage.persist({ hardState: { term: header.term, vote: 0, commit: header.index }, entries: [], snapshot: { meta, data } });
    } finally {
      storage.close();
    }
    return header;
  } catch (e) {
    // The dir was new or empty before: leave it so again.
    if (created) rmSync(config.dataDir, { recursive: true, force: true });
    else for (const name of readdirSync(config.dataDir)) rmSync(join(config.dataDir, name), { recursive: true, force: true });
    throw e;
  }
}

function refuseNonEmpty(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
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
