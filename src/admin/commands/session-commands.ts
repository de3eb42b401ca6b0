// Commands about the session itself: help, auth, quit/exit.
import { ArgumentError, ForbiddenError } from "../errors.ts";
import { renderTable } from "../table.ts";
import { printable } from "../text.ts";
import { tokenMatches } from "../token-check.ts";
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";

const synopsis = (spec: CommandSpec) => (spec.args ? `${spec.name} ${spec.args}` : spec.name);

function help(ctx: CommandContext, args: string[]): CommandOutput {
  if (args.length === 1) {
    const spec = ctx.commands.find((c) => c.name === args[0].toLowerCase());
    if (!spec) throw new ArgumentError(`no command "${printable(args[0], 60)}" to explain; type "help" for the list`);
    const note = spec.changesCluster ? " (changes the cluster)" : "";
    return output(`usage: ${synopsis(spec)}`, `${spec.summary}${note}`);
  }
  const rows = ctx.commands.map((spec) => [`${synopsis(spec)}${spec.changesCluster ? " *" : ""}`, spec.summary]);
  return output(
    ...renderTable([{ title: "COMMAND" }, { title: "DESCRIPTION" }], rows),
    "* changes the cluster: allowed from loopback, or after auth <token>",
  );
}

/** Who holds `given`: "admin-token" for --admin-token, an admin's name from --auth-tokens, or null. */
function adminHolder(ctx: CommandContext, given: string): string | null {
  const byFlag = ctx.token !== undefined && tokenMatches(ctx.token, given);
  const caller = ctx.adminTokens?.identify(given) ?? null;
  if (byFlag) return "admin-token";
  return caller?.role === "admin" ? caller.name : null;
}

function auth(ctx: CommandContext, args: string[]): CommandOutput {
  if (ctx.token === undefined && ctx.adminTokens === null) {
    throw new ForbiddenError(
      "this console was started without a token; cluster changes are allowed from loopback only",
    );
  }
  const who = adminHolder(ctx, args[0]);
  if (who !== null) {
    ctx.session.who = who;
    ctx.session.authorized = true;
    ctx.session.authFailures = 0;
    return output("authenticated: cluster-changing commands are allowed in this session");
  }
  ctx.session.authFailures++;
  ctx.log("console_auth_failed", { peer: ctx.session.peer, failures: ctx.session.authFailures });
  const max = ctx.limits.maxAuthFailures;
  if (ctx.session.authFailures >= max) {
    return { lines: [`error: wrong token, ${max} failed attempts; closing (forbidden)`], close: "auth_failed" };
  }
  throw new ForbiddenError(`wrong token (attempt ${ctx.session.authFailures} of ${max})`);
}

const quit = (): CommandOutput => ({ lines: ["bye"], close: "quit" });

const QUIT: CommandSpec = { name: "quit", args: "", summary: "close the session", minArgs: 0, maxArgs: 0, changesCluster: false, run: quit };

export const SESSION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "help",
    args: "[command]",
    summary: "list the commands, or explain one",
    minArgs: 0,
    maxArgs: 1,
    changesCluster: false,
    run: help,
  },
  {
    name: "auth",
    args: "<token>",
    summary: "unlock cluster-changing commands for a remote session",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: false,
    run: auth,
  },
  QUIT,
  { ...QUIT, name: "exit" },
];
