// The metrics command: the node's counters and gauges, optionally those starting with a prefix.
import { type CommandContext, type CommandOutput, type CommandSpec, output } from "../command-types.ts";
import { renderTable } from "../table.ts";
import { printable } from "../text.ts";

function metrics(ctx: CommandContext, args: string[]): CommandOutput {
  const prefix = args[0] ?? "";
  const rows = Object.entries(ctx.node.metrics())
    .filter(([name]) => name.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => [name, value]);
  if (rows.length === 0) {
    return output(prefix ? `(no metrics starting with "${printable(prefix, 60)}")` : "(no metrics)");
  }
  return output(...renderTable([{ title: "NAME" }, { title: "VALUE", align: "right" }], rows));
}

export const METRICS_COMMANDS: readonly CommandSpec[] = [
  {
    name: "metrics",
    args: "[prefix]",
    summary: "the node's counters and gauges",
    minArgs: 0,
    maxArgs: 1,
    changesCluster: false,
    run: metrics,
  },
];
