// Commands that change who leads and who votes: transfer-leader, add-voter, remove-voter. The
// console parses the arguments (with the one id/address checker); the node decides whether the
// change is safe (src/node/membership-changes.ts) and its refusal comes back as the error line.
import { parseNodeIdArg, parseVoterAddress } from "../arguments.ts";
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { ArgumentError } from "../errors.ts";
import { listOrDash } from "../text.ts";

const FORCE = "--force";

function voters(ctx: CommandContext): number[] {
  return ctx.node.status().membership.voters;
}

/** `[--force] <value>`: the flag may come first or last; anything else starting with "--" is refused. */
function withForce(command: string, args: string[]): { value: string; force: boolean } {
  const force = args.includes(FORCE);
  const rest = args.filter((a) => a !== FORCE);
  const unknown = rest.find((a) => a.startsWith("--"));
  if (unknown !== undefined) throw new ArgumentError(`${command} knows only ${FORCE}, got "${unknown.slice(0, 40)}"`);
  if (rest.length !== 1) throw new ArgumentError(`${command} takes one member and optionally ${FORCE}, got ${args.length} argument(s)`);
  return { value: rest[0], force };
}

async function transferLeader(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const target = parseNodeIdArg(args[0]);
  const current = voters(ctx);
  if (!current.includes(target)) {
    throw new ArgumentError(`node ${target} is not a voter (voters: ${listOrDash(current)})`);
  }
  if (ctx.node.status().leader === target) return output(`node ${target} is already the leader`);
  await ctx.node.transferLeader(target);
  const after = ctx.node.status();
  const leader = after.leader || "unknown";
  return output(`leadership transferred to node ${target}; leader is now ${leader} (term ${after.term})`);
}

async function addVoter(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const { value, force } = withForce("add-voter", args);
  const { id, address } = parseVoterAddress(value);
  await ctx.node.addVoter(id, address, { force });
  return output(`node ${id} caught up as a learner and was promoted to voter at ${address}; voters: ${listOrDash(voters(ctx))}`);
}

async function removeVoter(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const { value, force } = withForce("remove-voter", args);
  const id = parseNodeIdArg(value);
  await ctx.node.removeMember(id, { force });
  const m = ctx.node.status().membership;
  return output(`node ${id} removed; voters: ${listOrDash(m.voters)}; learners: ${listOrDash(m.learners)}`);
}

export const MEMBERSHIP_COMMANDS: readonly CommandSpec[] = [
  {
    name: "transfer-leader",
    args: "<id>",
    summary: "hand leadership to another voter",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: true,
    run: transferLeader,
  },
  {
    name: "add-voter",
    args: "[--force] <id>@<host>:<port>",
    summary: "add a node as a learner, promote it to voter once caught up (--force: even if few voters are reachable)",
    minArgs: 1,
    maxArgs: 2,
    changesCluster: true,
    run: addVoter,
  },
  {
    name: "remove-voter",
    args: "[--force] <id>",
    summary: "remove a voter or a learner (--force: even if few voters would stay reachable)",
    minArgs: 1,
    maxArgs: 2,
    changesCluster: true,
    run: removeVoter,
  },
];
