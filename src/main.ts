// The yakt executable: parse the command line, then format or recover a data dir, run a client
// subcommand, or run a node until a signal.
import { memoryOutcome } from "./cli/memory-options-first.ts";
import { ClientError, StartupError, UsageError } from "./cli/cli-errors.ts";
import { parseCommand } from "./cli/command.ts";
import { formatDataDir } from "./cli/data-dir.ts";
import { formatHelp, nodeHelp, recoverHelp, versionText } from "./cli/help.ts";
import { recoverDataDir } from "./cli/recover-data-dir.ts";
import { installShutdown } from "./cli/shutdown.ts";
import { startNode } from "./cli/start-node.ts";

/** Bound on a graceful stop: in-flight requests and the final database checkpoint. */
const SHUTDOWN_DEADLINE_MS = 10_000;

function line(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), event, ...fields }, errorFields)}\n`);
}

function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

async function main(args: string[]): Promise<number | null> {
  // Files the node creates (database, WAL, snapshots) are readable by their owner only.
  process.umask(0o077);
  const command = parseCommand(args);
  switch (command.kind) {
    case "help":
      process.stdout.write(nodeHelp());
      return 0;
    case "format-help":
      process.stdout.write(formatHelp());
      return 0;
    case "recover-help":
      process.stdout.write(recoverHelp());
      return 0;
    case "recover":
      process.stdout.write(`${recoverDataDir(command.config).join("\n")}\n`);
      return 0;
    case "version":
      process.stdout.write(versionText());
      return 0;
    case "client":
      return command.run();
    case "format": {
      const { alreadyFormatted, identity } = formatDataDir(command.config);
      const what = alreadyFormatted ? "was already formatted for" : "formatted for";
      const { dataDir, clusterId, nodeId } = command.config;
      process.stdout.write(`data dir ${dataDir} ${what} cluster ${clusterId}, node ${nodeId}, directory id ${identity.directoryId}\n`);
      return 0;
    }
    case "run": {
      // memory-options-first.ts executed the process again when the options were missing, before the
      // rest was loaded; here only when that could not be done (then the runtime's memory defaults hold).
      if (memoryOutcome !== null && !memoryOutcome.applied) line("memory_defaults", { reason: memoryOutcome.reason });
      // Keep serving after a stray rejection or exception in one request: log it, never crash.
      process.on("unhandledRejection", (reason) => line("unhandled_rejection", { error: reason }));
      process.on("uncaughtException", (error) => line("uncaught_exception", { error }));
      let stop: () => Promise<void> = async () => {};
      const onFatal = (error: Error) => {
        line("fatal", { error });
        setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
        void stop().finally(() => process.exit(1));
      };
      const node = await startNode(command.config, { onFatal });
      stop = () => node.stop();
      const log = (event: string, fields: Record<string, unknown>) => node.runtime.log.info(event, fields);
      installShutdown({ stop, deadlineMs: SHUTDOWN_DEADLINE_MS, log, exit: (code) => process.exit(code) });
      process.on("SIGHUP", () => {
        log("sighup_reload", {});
        node.reload();
      });
      return null;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof StartupError || e instanceof ClientError) {
      process.stderr.write(`yakt: ${e.message}\n`);
      process.exit(e.exitCode);
    }
    process.stderr.write(`yakt: unexpected failure: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
