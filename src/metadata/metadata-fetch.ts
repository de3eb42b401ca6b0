// A BrokerMgmt / ClientMgmt fetch after its heartbeat: read barrier (unless stale), then diff or
// snapshot, and with nothing new a long poll (long-polls.ts) that wakes on each change of the
// state machine until something is new for this audience or the wait (on the injected clock) runs
// out. The fetches of one loop turn share one read barrier (shared-barrier.ts), and every fetch
// that wants the same answer (same audience, since and offset: a fleet woken by one commit) gets
// the one object shared-answers.ts built for the first.
import type { ConsensusHandle } from "../node/contracts.ts";
import type { Clock } from "./clock.ts";
import { preview } from "./preview.ts";
import { badRequest } from "./errors.ts";
import { MAX_WAIT_MS } from "./limits.ts";
import { type Audience, buildAnswer } from "./metadata-answer.ts";
import type { MetadataAnswer, MetadataFetch, WatchFrom } from "./service-types.ts";
import { type Since, type SincePlan, oldestHeld, parseSince, planSince } from "./since.ts";
import type { LongPolls } from "./long-polls.ts";
import type { SharedAnswers } from "./shared-answers.ts";
import type { SharedBarrier } from "./shared-barrier.ts";
import type { MetadataStateMachine } from "./state-machine.ts";

export interface FetchDeps {
  handle: ConsensusHandle;
  sm: MetadataStateMachine;
  clock: Clock;
  diffWindowMs: number;
  answers: SharedAnswers;
  polls: LongPolls;
  /** The read barrier of linearizable fetches, shared by those of one loop turn. */
  barrier: SharedBarrier;
}

export interface ParsedFetch {
  since: Since;
  waitMs: number;
  /** Skip the read barrier: a follower answers from what it has applied, without the leader. */
  stale: boolean;
}

/** Checks since and wait_ms before anything else happens (a bad fetch must not heartbeat). */
export function parseFetch(fetch: MetadataFetch): ParsedFetch {
  const waitMs = fetch.waitMs ?? 0;
  if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) {
    throw badRequest(`wait_ms must be an integer from 0 to ${MAX_WAIT_MS}, got ${preview(fetch.waitMs)}`);
  }
  const consistency = fetch.consistency ?? "linearizable";
  if (consistency !== "linearizable" && consistency !== "stale") throw badRequest(`consistency ${preview(consistency)} is not "linearizable" or "stale"`);
  return { since: parseSince(fetch.since), waitMs, stale: consistency === "stale" };
}

/** The offset reads are complete up to: the state machine may run ahead of the handle's counter. */
export function appliedOffset(deps: Pick<FetchDeps, "handle" | "sm">): number {
  return Math.max(deps.handle.appliedIndex(), deps.sm.appliedIndex());
}

export async function fetchMetadata(deps: FetchDeps, audience: Audience, { since, waitMs, stale }: ParsedFetch): Promise<MetadataAnswer> {
  // wait_ms counts from the fetch's arrival: the barrier's time (a loop turn and a round) is part of it.
  const deadline = deps.clock.now() + waitMs;
  if (!stale) await deps.barrier.wait();
  for (;;) {
    const answer = answerNow(deps, audience, since);
    if (answer.mode === "snapshot" || answer.records.length > 0) return answer;
    const remaining = deadline - deps.clock.now();
    if (remaining <= 0) return answer;
    await deps.polls.wait(answer.offset, remaining);
  }
}

function answerNow(deps: FetchDeps, audience: Audience, since: Since): MetadataAnswer {
  const offset = appliedOffset(deps);
  const plan = planSince(since, {
    now: deps.clock.now(),
    diffWindowMs: deps.diffWindowMs,
    appliedOffset: offset,
    firstIndex: deps.handle.firstIndex(),
    history: deps.sm.history,
  });
  return deps.answers.answer(audience, plan, offset, () => buildAnswer(deps.sm, plan, offset, audience));
}

/** A watcher's next answer (service-types.ts WatchFrom), from what this node has applied. */
export function watchAnswer(deps: FetchDeps, from: WatchFrom): MetadataAnswer {
  if ("since" in from) return answerNow(deps, "broker", parseSince(from.since));
  const offset = appliedOffset(deps);
  const oldest = oldestHeld(deps.handle.firstIndex(), deps.sm.history);
  const plan: SincePlan = from.following < oldest ? { mode: "snapshot", reason: `offset ${from.following} was compacted away` } : { mode: "diff", after: from.following };
  return deps.answers.answer("broker", plan, offset, () => buildAnswer(deps.sm, plan, offset, "broker"));
}
