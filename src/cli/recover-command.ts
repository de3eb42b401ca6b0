// `yakt recover`: the command line of the offline membership rewrite (see recover-data-dir.ts).
import type { NodeId } from "../raft/types.ts";
import { UsageError } from "./cli-errors.ts";
import { parseArgsOptions, RECOVER_FLAGS } from "./flag-table.ts";
import { parseStrict } from "./node-config.ts";
import { parsePeers } from "./peers.ts";

export interface RecoverConfig {
  dataDir: string;
  /** The new voters and their peer addresses (canonical "host:port"). */
  voters: Map<NodeId, string>;
}

export type RecoverCommand = { kind: "recover-help" } | { kind: "recover"; config: RecoverConfig };

export function parseRecoverArgs(args: string[]): RecoverCommand {
  const v = parseStrict(args, parseArgsOptions(RECOVER_FLAGS));
  if (v.help) return { kind: "recover-help" };
  const missing = ["data-dir", "voters"].filter((f) => v[f] === undefined);
  if (missing.length > 0) throw new UsageError(`recover: missing ${missing.map((f) => `--${f}`).join(", ")} (see yakt recover --help)`);
  const dataDir = v["data-dir"] as string;
  if (dataDir.trim() === "") throw new UsageError("--data-dir: must not be empty");
  return { kind: "recover", config: { dataDir, voters: parsePeers(v.voters as string, "--voters") } };
}
