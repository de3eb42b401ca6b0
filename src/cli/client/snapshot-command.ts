// `yakt snapshot save <file>` (a backup of a live cluster) and `yakt snapshot restore <file>
// --data-dir D --cluster-id C --node-id N --peers …` (a data dir for a new cluster from it).
import { restoreSnapshot } from "../backup/snapshot-restore.ts";
import { saveSnapshot } from "../backup/snapshot-save.ts";
import { UsageError } from "../cli-errors.ts";
import { clusterIdFlag } from "../node-config.ts";
import { parseNodeId, parsePeers } from "../peers.ts";
import { parseClientArgs, positionals } from "./client-options.ts";
import { HttpClient } from "./http-client.ts";
import { print, type Write } from "./output.ts";

const RESTORE_FLAGS = {
  "data-dir": { type: "string" },
  "cluster-id": { type: "string" },
  "node-id": { type: "string" },
  peers: { type: "string" },
} as const;

export async function snapshotCommand(args: string[], write: Write): Promise<number> {
  const [action, ...rest] = args;
  if (action === "save") {
    const { options, positionals: given } = parseClientArgs("snapshot save", rest);
    const [file] = positionals("snapshot save", given, ["file"]);
    const header = await saveSnapshot(new HttpClient(options), file);
    print(options, write, { file, ...header }, () => [`saved the snapshot at index ${header.index} (term ${header.term}, ${header.size} bytes, sha256 ${header.sha256}) of cluster ${header.clusterId} to ${file}`]);
    return 0;
  }
  if (action === "restore") {
    const { options, positionals: given, flags } = parseClientArgs("snapshot restore", rest, RESTORE_FLAGS);
    const [file] = positionals("snapshot restore", given, ["file"]);
    const missing = Object.keys(RESTORE_FLAGS).filter((f) => typeof flags[f] !== "string");
    if (missing.length > 0) throw new UsageError(`snapshot restore: missing ${missing.map((f) => `--${f}`).join(", ")}`);
    const dataDir = flags["data-dir"] as string;
    if (dataDir.trim() === "") throw new UsageError("--data-dir: must not be empty");
    const config = {
      dataDir,
      clusterId: clusterIdFlag(flags["cluster-id"] as string) as string,
      nodeId: parseNodeId("--node-id", flags["node-id"] as string),
      peers: parsePeers(flags.peers as string),
    };
    const header = await restoreSnapshot(file, config);
    print(options, write, { dataDir, clusterId: config.clusterId, nodeId: config.nodeId, index: header.index, term: header.term, restoredFrom: header.clusterId }, () => [
      `restored the snapshot at index ${header.index} of cluster ${header.clusterId} into ${dataDir} for cluster ${config.clusterId}, node ${config.nodeId}, voters ${[...config.peers.keys()].join(",")}`,
    ]);
    return 0;
  }
  throw new UsageError(`usage: yakt snapshot save <file> | restore <file> --data-dir D --cluster-id C --node-id N --peers id@host:port,… (got "${action ?? ""}")`);
}
