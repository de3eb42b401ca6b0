// Imported first by src/main.ts, so that a node run executes itself again with its memory
// options (memory-options.ts) before the rest of the program's modules are evaluated: a node
// run's command line is empty or starts with a flag; every subcommand starts with a word.
import { applyMemoryOptions } from "./memory-options.ts";

const first = process.argv[2];
export const memoryOutcome = first === undefined || first.startsWith("-") ? applyMemoryOptions() : null;
