// Imported first by src/main.ts, so that a node run executes itself again with its allocator
// options (allocator-options.ts) before the rest of the program's modules are evaluated: a node
// run's command line is empty or starts with a flag; every subcommand starts with a word.
import { applyAllocatorOptions } from "./allocator-options.ts";

const first = process.argv[2];
export const allocatorOutcome = first === undefined || first.startsWith("-") ? applyAllocatorOptions() : null;
