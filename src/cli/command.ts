// The command line's top level: `yakt format …`, `yakt recover …`, a client subcommand
// (client/client-command.ts) or a node run, help and version included.
import { type ClientCommand, isClientCommand, parseClientCommand } from "./client/client-command.ts";
import { type FormatCommand, parseFormatArgs } from "./format-command.ts";
import { type NodeCommand, parseNodeArgs } from "./node-config.ts";
import { parseRecoverArgs, type RecoverCommand } from "./recover-command.ts";

export type Command = NodeCommand | FormatCommand | RecoverCommand | ClientCommand;

/** `args` excludes the executable (process.argv.slice(2)). Throws UsageError on a bad line. */
export function parseCommand(args: string[]): Command {
  if (args[0] === "format") return parseFormatArgs(args.slice(1));
  if (args[0] === "recover") return parseRecoverArgs(args.slice(1));
  if (isClientCommand(args[0])) return parseClientCommand(args);
  return parseNodeArgs(args);
}
