// The one error a simulated run fails with: which check broke, and (once the run wraps it) the seed
// and the tail of the trace, so the failure can be replayed with `make sim SEED=…`.

export type CheckName =
  | "election-safety"
  | "log-matching"
  | "leader-completeness"
  | "state-machine-safety"
  | "commit-monotonic"
  | "applied-le-committed"
  | "durable-commit"
  | "ready"
  | "runtime"
  | "liveness"
  | "acknowledged-write-lost"
  | "replica-divergence"
  | "linearizability"
  | "core-error"
  | "storage"
  | "applied-not-durable"
  | "applied-monotonic"
  | "leader-commit-own-term"
  | "membership-one-at-a-time";

export class SimViolation extends Error {
  readonly code = "sim_violation";
  constructor(
    readonly check: CheckName,
    readonly detail: string,
  ) {
    super(`${check}: ${detail}`);
    this.name = "SimViolation";
  }
}

/** A violation with the run it happened in: what to replay and what led up to it. */
export class SimFailure extends Error {
  readonly code = "sim_failure";
  constructor(
    readonly seed: number,
    readonly check: CheckName,
    readonly detail: string,
    readonly traceTail: readonly string[],
    replayFlags = "",
  ) {
    const replay = replayFlags === "" ? `make sim SEED=${seed}` : `bun run test/sim/cli.ts --seed ${seed} ${replayFlags}`;
    super(`seed ${seed} failed ${check}: ${detail}\n  replay: ${replay}\n  trace tail:\n    ${traceTail.join("\n    ")}`);
    this.name = "SimFailure";
  }
}
