// Commands that change who leads and who votes: transfer-leader, add-voter, remove-voter.
// The node validates every change again; the checks here give the operator a precise message
// before anything is proposed.
import { parseId, parseVoterAddress } from "../arguments.ts";
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { ArgumentError } from "../errors.ts";
import { listOrDash } from "../text.ts";

function voters(ctx: CommandContext): number[] {
  return ctx.node.status().membership.voters;
}

async function transferLeader(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const target = parseId("node id", args[0]);
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
  const { id, address } = parseVoterAddress(args[0]);
  if (voters(ctx).includes(id)) throw new ArgumentError(`node ${id} is already a voter`);
  await ctx.node.addVoter(id, address);
  return output(`node ${id} added as a voter at ${address}; voters: ${listOrDash(voters(ctx))}`);
}

async function removeVoter(ctx: CommandContext, args: string[]): Promise<CommandOutput> {
  const id = parseId("node id", args[0]);
  const current = voters(ctx);
  if (!current.includes(id)) throw new ArgumentError(`node ${id} is not a voter (voters: ${listOrDash(current)})`);
  await ctx.node.removeMember(id);
  return output(`node ${id} removed; voters: ${listOrDash(voters(ctx))}`);
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
    args: "<id>@<host>:<port>",
    summary: "add a voter (its peer address)",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: true,
    run: addVoter,
  },
  {
    name: "remove-voter",
    args: "<id>",
    summary: "remove a voter from the cluster",
    minArgs: 1,
    maxArgs: 1,
    changesCluster: true,
    run: removeVoter,
  },
];
