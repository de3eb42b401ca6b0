// The nemesis's schedule, drawn from a seed before the run: which fault, on which node (or on
// whoever leads when the fault starts), held how long, then how long to wait before the next.
// The first steps cover every kind once (in a seeded order), so every run exercises them all.
import type { Prng } from "../../sim/prng.ts";

export const FAULT_KINDS = ["kill", "pause", "isolate", "deaf", "unheard", "mute", "one-way", "no-quorum"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultStep {
  kind: FaultKind;
  /** Aim at the leader of the moment (falls back to `node` when none is known). */
  onLeader: boolean;
  node: number;
  /** The other end of a one-way cut; the node paused while `node` is isolated in a no-quorum fault. */
  peer: number;
  /** For a one-way cut: `deaf` drops what node sends to peer, `mute` what peer answers. */
  direction: "deaf" | "mute";
  holdMs: number;
  gapMs: number;
}

/** [min, max] time a fault of each kind is held; a pause outlasts an election timeout (100–200 ms). */
const HOLD_MS: Record<FaultKind, readonly [number, number]> = {
  kill: [300, 2_000],
  pause: [400, 2_000],
  isolate: [500, 2_500],
  deaf: [500, 2_500],
  unheard: [500, 2_500],
  mute: [500, 2_500],
  "one-way": [500, 2_500],
  "no-quorum": [400, 2_000],
};
const GAP_MS = [200, 1_000] as const;

export function planFaults(rng: Prng, nodes: readonly number[], durationMs: number): FaultStep[] {
  if (nodes.length < 2) throw new RangeError(`a nemesis needs at least 2 nodes, got ${nodes.length}`);
  if (!(durationMs > 0)) throw new RangeError(`fault duration must be positive, got ${durationMs}`);
  const first = shuffled(rng, FAULT_KINDS);
  const steps: FaultStep[] = [];
  let total = 0;
  while (total < durationMs) {
    const kind = steps.length < first.length ? first[steps.length]! : rng.pick(FAULT_KINDS);
    const step = drawStep(rng, kind, nodes);
    steps.push(step);
    total += step.holdMs + step.gapMs;
  }
  return steps;
}

function drawStep(rng: Prng, kind: FaultKind, nodes: readonly number[]): FaultStep {
  const node = rng.pick(nodes);
  const peer = rng.pick(nodes.filter((n) => n !== node));
  const [lo, hi] = HOLD_MS[kind];
  return {
    kind,
    onLeader: rng.chance(0.6),
    node,
    peer,
    direction: rng.chance(0.5) ? "deaf" : "mute",
    holdMs: rng.int(lo, hi),
    gapMs: rng.int(GAP_MS[0], GAP_MS[1]),
  };
}

function shuffled<T>(rng: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
