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
    ...CLIENT_USAGE,
    "",
    "flags:",
    flagLines(NODE_FLAGS),
    "",
  ].join("\n");
}

/** The client subcommands (src/cli/client/); they take --server URL (default $YAKT_SERVER, else
 * http://127.0.0.1:8080), --output table|json, --token T (default $YAKT_TOKEN), --cacert FILE and
 * --cert/--key FILE for a client certificate. */
const CLIENT_USAGE = [
  "       yakt topics list | describe <name> | create <name> [--partitions N --replication-factor R] | delete <name>",
  "       yakt brokers list [--all] | describe <id>",
  "       yakt cluster status | replication",
  "       yakt log [--from N] [--limit N]",
  "       yakt snapshot save <file>",
  "       yakt snapshot restore <file> --data-dir <dir> --cluster-id <id> --node-id <n> --peers <id@host:port,…>",
  "       yakt dump-log --data-dir <dir> [--from N] [--limit N]      (a stopped node's log, offline)",
  "  client options: --server URL (default $YAKT_SERVER, else http://127.0.0.1:8080), --output table|json,",
  "                  --token T (default $YAKT_TOKEN), --cacert FILE, --cert FILE --key FILE (client certificate)",
];

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
