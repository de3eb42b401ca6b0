// Runs one typed line: split into words, find the command, check arity and rights, run it within
// the command timeout. Whatever goes wrong becomes one `error: ...` line; nothing escapes.
import type { Clock } from "../metadata/clock.ts";
import { findCommand } from "./command-table.ts";
import type { CommandContext, CommandOutput, CommandSpec } from "./command-types.ts";
import { ArgumentError, CommandTimeoutError, ForbiddenError, UnknownCommandError } from "./errors.ts";
import { describeError, printable } from "./text.ts";

export async function runLine(line: string, ctx: CommandContext): Promise<CommandOutput> {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return { lines: [] };
  const [name, ...args] = words;
  try {
    const spec = findCommand(name);
    if (!spec) throw new UnknownCommandError(printable(name, 60));
    checkArity(spec, args);
    checkRights(spec, ctx);
    const work = (async () => spec.run(ctx, args))();
    const ms = ctx.limits.commandTimeoutMs;
    const result = await withTimeout(work, ms, ctx.clock, () => new CommandTimeoutError(spec.name, ms));
    if (spec.changesCluster) audit(ctx, spec, args, "done");
    return result;
  } catch (error) {
    const spec = findCommand(name);
    // Refused and failed attempts at a change are audited too.
    if (spec?.changesCluster) audit(ctx, spec, args, describeError(error));
    return { lines: [`error: ${describeError(error)}`] };
  }
}

function checkArity(spec: CommandSpec, args: string[]): void {
  if (args.length >= spec.minArgs && args.length <= spec.maxArgs) return;
  const wanted = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
  const usage = spec.args ? `${spec.name} ${spec.args}` : spec.name;
  throw new ArgumentError(`"${spec.name}" takes ${wanted} argument(s), got ${args.length}; usage: ${usage}`);
}

function checkRights(spec: CommandSpec, ctx: CommandContext): void {
  if (!spec.changesCluster || ctx.session.trusted || ctx.session.authorized) return;
  if (ctx.token === undefined && ctx.adminTokens === null) {
    throw new ForbiddenError(`"${spec.name}" changes the cluster and is allowed only from loopback on this console`);
  }
  throw new ForbiddenError(`"${spec.name}" changes the cluster; give the console token first with "auth <token>"`);
}

/** Cluster changes are logged with who asked; arguments hold only ids and addresses. */
function audit(ctx: CommandContext, spec: CommandSpec, args: string[], outcome: string): void {
  const who = ctx.session.who ?? (ctx.session.trusted ? "loopback" : "anonymous");
  ctx.log("console_command", { command: spec.name, args, peer: ctx.session.peer, who, outcome });
}

function withTimeout<T>(work: Promise<T>, ms: number, clock: Clock, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(timeoutError()), ms);
    // A late settlement after the timeout is swallowed here, so it never becomes unhandled.
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
