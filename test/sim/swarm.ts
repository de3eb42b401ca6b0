// Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): each seed draws its own fault mix —
// which faults it injects at all, and how often and how hard — instead of every seed running one
// fixed mix. Leaving a fault out now and then lets the others build up states that fault would
// have cut short. Drawn from its own PRNG stream, so the run's PRNG is left as it was.
import type { FaultOptions, WeightedFault } from "./faults.ts";
import { Prng } from "./prng.ts";

/** How likely each fault is to be part of a seed's mix at all. */
const KEEP = 0.7;
const CRASH_POINT_RATES = [0, 0.002, 0.01, 0.03];
const TEAR_RATES = [0, 0.002, 0.01];
const CORRUPT_RATES = [0, 0.02, 0.1];
// 0.05, not 0.02: a corrupt snapshot read needs a restart with a snapshot on disk, and at 0.02 a
// batch of 50 default seeds (401–450) could end without one once message timing moved.
const CORRUPT_SNAPSHOT_RATES = [0, 0.05, 0.1];

export function swarmFaults(seed: number, base: FaultOptions): FaultOptions {
  const rng = new Prng((seed ^ 0x5eed5) >>> 0);
  const weights = { ...base.weights };
  // A kind the base leaves out stays out, and draws nothing: adding one left every seed's mix as it was.
  for (const kind of Object.keys(weights) as WeightedFault[]) if (weights[kind] > 0) weights[kind] = rng.chance(KEEP) ? rng.int(1, 6) : 0;
  return {
    ...base,
    weights,
    meanInterval: rng.int(30, 160),
    maxOutage: rng.int(100, 600),
    crashPointRate: rng.pick(CRASH_POINT_RATES),
    tearRate: rng.pick(TEAR_RATES),
    corruptRate: rng.pick(CORRUPT_RATES),
    corruptSnapshotRate: rng.pick(CORRUPT_SNAPSHOT_RATES),
  };
}
