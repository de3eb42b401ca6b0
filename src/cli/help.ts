// The --help and --version texts, generated from the flag table so they cannot drift from parsing.
import pkg from "../../package.json" with { type: "json" };
import { FORMAT_FLAGS, type FlagSpec, NODE_FLAGS, RECOVER_FLAGS } from "./flag-table.ts";

export const VERSION: string = pkg.version;

function flagLines(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const head = `  --${s.name}${s.value ? ` ${s.value}` : ""}`;
      const def = s.default ? ` (default: ${s.default})` : "";
      return `${head}\n      ${s.help}${def}`;
    })
    .join("\n");
}

export function nodeHelp(): string {
  return [
    `yakt ${VERSION} — a replicated metadata service (KRaft-like)`,
    "",
    "usage: yakt [flags]                  run a node (no flags: a one-node cluster on 127.0.0.1)",
    "       yakt format --cluster-id <id> --node-id <n> --data-dir <dir>",
    "       yakt recover --data-dir <dir> --voters <id@host:port,…>   (after a quorum is lost for good)",
    "",
    "flags:",
    flagLines(NODE_FLAGS),
    "",
  ].join("\n");
}

export function formatHelp(): string {
  return ["usage: yakt format --cluster-id <id> --node-id <n> --data-dir <dir>", "", "flags:", flagLines(FORMAT_FLAGS), ""].join("\n");
}

export function recoverHelp(): string {
  return [
    "usage: yakt recover --data-dir <dir> --voters <id@host:port,…>",
    "",
    "Rewrites the membership of a stopped node from its own log (etcd's --force-new-cluster), after a",
    "quorum is lost for good. Every entry in this node's log becomes committed, including entries no",
    "majority acknowledged; entries committed only on the lost nodes are lost. Run it on one survivor only.",
    "",
    "flags:",
    flagLines(RECOVER_FLAGS),
    "",
  ].join("\n");
}

export function versionText(): string {
  return `yakt ${VERSION} (bun ${Bun.version})\n`;
}
