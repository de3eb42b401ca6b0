// Imported first by each benchmark's entry script: the load generator runs with the nodes' own
// memory options (src/cli/memory-options.ts), executing itself again when they are missing.
// With mimalloc's hole purging on, the generator's 1,000-broker fleet spent so much CPU giving
// memory back and faulting it in again that the mixed workload ran at 178 operations/s against
// 315 with it off (watch fleet, 20-s rows back to back). Both systems of a side-by-side row share
// the generator, so neither gains at the other's expense. Never import this from a test: the
// test runner would execute itself again.
import { applyMemoryOptions } from "../../src/cli/memory-options.ts";

const outcome = applyMemoryOptions();
if (!outcome.applied) process.stderr.write(`bench: the load generator runs on the runtime's memory defaults (${outcome.reason})\n`);
