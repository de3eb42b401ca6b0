// The sequential specification the linearizability checker tests a history against.
import type { KvInput, KvOutput } from "./history.ts";

export interface Model<S, I, O> {
  init(): S;
  /** Whether `output` is what the sequential object answers to `input` in `state`, and the next state. */
  step(state: S, input: I, output: O): { ok: boolean; state: S };
  /** A canonical key of a state, for memoizing visited (linearized set, state) pairs. */
  stateKey(state: S): string;
  /** Operations on different partitions never interact (P-compositionality): checked separately. */
  partition(input: I): string;
}

/** Each key of the KV store is an independent read/write register that starts empty (null). */
export const kvRegisterModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    if (input.kind === "put") return { ok: true, state: input.value };
    return { ok: output === state, state };
  },
  stateKey: (state) => (state === null ? "\u0000" : state),
  partition: (input) => input.key,
};
