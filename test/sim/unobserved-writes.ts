// Shrinks a register history before the linearizability search: a put with an unknown outcome
// (ret = +Infinity) whose value no read of the same key ever returned can be dropped without
// changing the verdict. Why: if the history is linearizable without it, putting it last makes the
// full history linearizable too; if the full history has a linearization, no read sits between
// that put and the next put of the key (such a read would have returned its value), so removing
// the put leaves every read's answer intact. Each kept indeterminate put doubles the states the
// search may visit, and under faults most of them were never seen by anyone.
import type { KvOperation } from "./history.ts";

export function withoutUnobservedUnknownPuts(history: readonly KvOperation[]): KvOperation[] {
  const observed = new Set<string>();
  for (const op of history) {
    if (op.input.kind === "get" && op.output !== null) observed.add(cellOf(op.input.key, op.output));
  }
  return history.filter((op) => op.input.kind !== "put" || op.ret !== Infinity || observed.has(cellOf(op.input.key, op.input.value)));
}

/** key and value joined unambiguously (keys may hold any character). */
function cellOf(key: string, value: string): string {
  return JSON.stringify([key, value]);
}
