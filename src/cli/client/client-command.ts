// The client subcommands of `yakt`: each group's name and the function that runs it. main.ts runs
// the chosen one; every failure is a UsageError (exit 2) or a ClientError (exit 1).
import { brokersCommand } from "./brokers-command.ts";
import { clusterCommand } from "./cluster-command.ts";
import { dumpLogCommand } from "./dump-log-command.ts";
import { logCommand } from "./log-command.ts";
import { type Write, stdoutWrite } from "./output.ts";
import { snapshotCommand } from "./snapshot-command.ts";
import { topicsCommand } from "./topics-command.ts";

export type ClientRun = (args: string[], write: Write) => Promise<number>;

const GROUPS: Readonly<Record<string, ClientRun>> = {
  topics: topicsCommand,
  brokers: brokersCommand,
  cluster: clusterCommand,
  log: logCommand,
  snapshot: snapshotCommand,
  "dump-log": dumpLogCommand,
};

export interface ClientCommand {
  kind: "client";
  run: () => Promise<number>;
}

export function isClientCommand(word: string | undefined): boolean {
  return word !== undefined && Object.hasOwn(GROUPS, word);
}

export function parseClientCommand(args: string[], write: Write = stdoutWrite): ClientCommand {
  const run = GROUPS[args[0]];
  return { kind: "client", run: () => run(args.slice(1), write) };
}
