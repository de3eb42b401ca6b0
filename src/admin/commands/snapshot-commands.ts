// Commands about snapshots of the state machine: snapshot (take one now), snapshots (list).
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { renderTable } from "../table.ts";
import { listOrDash } from "../text.ts";

async function snapshot(ctx: CommandContext): Promise<CommandOutput> {
  const meta = await ctx.node.snapshotNow();
  const voters = listOrDash(meta.membership.voters);
  return output(`snapshot taken at offset ${meta.index} (term ${meta.term}, voters ${voters})`);
}

function snapshots(ctx: CommandContext): CommandOutput {
  const list = ctx.node.listSnapshots();
  if (list.length === 0) return output("(no snapshots)");
  const rows = list.map((m) => [m.index, m.term, listOrDash(m.membership.voters), listOrDash(m.membership.learners)]);
  return output(
    ...renderTable(
      [
        { title: "OFFSET", align: "right" },
        { title: "TERM", align: "right" },
        { title: "VOTERS" },
        { title: "LEARNERS" },
      ],
      rows,
    ),
  );
}

export const SNAPSHOT_COMMANDS: readonly CommandSpec[] = [
  {
    name: "snapshot",
    args: "",
    summary: "take a snapshot of this node now and compact its log",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: true,
    run: snapshot,
  },
  {
    name: "snapshots",
    args: "",
    summary: "the snapshots this node holds",
    minArgs: 0,
    maxArgs: 0,
    changesCluster: false,
    run: snapshots,
  },
];
