// The node configuration `yakt <args>` would run with: the arguments must parse as a node run.
import { parseCommand } from "../../../src/cli/command.ts";
import type { NodeConfig } from "../../../src/cli/node-config.ts";

export function runConfig(args: string[]): NodeConfig {
  const c = parseCommand(args);
  if (c.kind !== "run") throw new Error(`expected run, got ${c.kind}`);
  return c.config;
}
