// Every console command, in the order `help` lists them, and the lookup by name.
import type { CommandSpec } from "./command-types.ts";
import { MEMBERSHIP_COMMANDS } from "./commands/membership-commands.ts";
import { METADATA_COMMANDS } from "./commands/metadata-commands.ts";
import { METRICS_COMMANDS } from "./commands/metrics-commands.ts";
import { QUORUM_COMMANDS } from "./commands/quorum-commands.ts";
import { SESSION_COMMANDS } from "./commands/session-commands.ts";
import { SNAPSHOT_COMMANDS } from "./commands/snapshot-commands.ts";

export const COMMANDS: readonly CommandSpec[] = [
  ...QUORUM_COMMANDS,
  ...METADATA_COMMANDS,
  ...SNAPSHOT_COMMANDS,
  ...MEMBERSHIP_COMMANDS,
  ...METRICS_COMMANDS,
  ...SESSION_COMMANDS,
];

const BY_NAME = new Map<string, CommandSpec>();
for (const spec of COMMANDS) {
  if (BY_NAME.has(spec.name)) throw new Error(`console command "${spec.name}" is defined twice`);
  if (spec.minArgs < 0 || spec.maxArgs < spec.minArgs) {
    throw new Error(`console command "${spec.name}" has bad arity ${spec.minArgs}..${spec.maxArgs}`);
  }
  BY_NAME.set(spec.name, spec);
}

/** Names are case-insensitive. */
export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}
