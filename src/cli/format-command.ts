// `yakt format`: stamp a data dir with its cluster id and node id before the node first starts.
import { UsageError } from "./cli-errors.ts";
import { FORMAT_FLAGS, parseArgsOptions } from "./flag-table.ts";
import { clusterIdFlag, parseStrict } from "./node-config.ts";
import { parseNodeId } from "./peers.ts";

export interface FormatConfig {
  clusterId: string;
  nodeId: number;
  dataDir: string;
}

export type FormatCommand = { kind: "format-help" } | { kind: "format"; config: FormatConfig };

export function parseFormatArgs(args: string[]): FormatCommand {
  const v = parseStrict(args, parseArgsOptions(FORMAT_FLAGS));
  if (v.help) return { kind: "format-help" };
  const missing = ["cluster-id", "node-id", "data-dir"].filter((f) => v[f] === undefined);
  if (missing.length > 0) throw new UsageError(`format: missing ${missing.map((f) => `--${f}`).join(", ")} (see yakt format --help)`);
  const dataDir = v["data-dir"] as string;
  if (dataDir.trim() === "") throw new UsageError("--data-dir: must not be empty");
  return {
    kind: "format",
    config: {
      clusterId: clusterIdFlag(v["cluster-id"] as string) as string,
      nodeId: parseNodeId("--node-id", v["node-id"] as string),
      dataDir,
    },
  };
}
