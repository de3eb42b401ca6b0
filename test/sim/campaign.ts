// A campaign: many seeds in a row, with the totals of what they covered. Stops at the first failure.
import type { FaultKind } from "./faults.ts";
import { configForSeed, type SimConfig } from "./sim-config.ts";
import { runSimulation, type SimReport } from "./simulation.ts";
import { SimFailure } from "./violation.ts";

export interface CampaignTotals {
  schedules: number;
  steps: number;
  virtualTime: number;
  faults: Record<string, number>;
  elections: number;
  commits: number;
  operations: number;
  unknownOutcomes: number;
  messages: number;
}

export function emptyTotals(): CampaignTotals {
  return { schedules: 0, steps: 0, virtualTime: 0, faults: {}, elections: 0, commits: 0, operations: 0, unknownOutcomes: 0, messages: 0 };
}

/**
 * Run seeds first..first+count-1. Without `onFailure` the first SimFailure is thrown; with it,
 * failures are handed over and the campaign goes on (to survey several distinct bugs at once).
 */
export async function runCampaign(
  first: number,
  count: number,
  overrides: (seed: number) => Partial<SimConfig> = () => ({}),
  totals = emptyTotals(),
  onFailure?: (f: SimFailure) => void,
): Promise<CampaignTotals> {
  for (let seed = first; seed < first + count; seed++) {
    let r: SimReport;
    try {
      r = await runSimulation(configForSeed(seed, overrides(seed)));
    } catch (e) {
      if (onFailure === undefined || !(e instanceof SimFailure)) throw e;
      onFailure(e);
      continue;
    }
    addReport(totals, r);
  }
  return totals;
}

export function addReport(totals: CampaignTotals, r: SimReport): CampaignTotals {
  totals.schedules++;
  totals.steps += r.steps;
  totals.virtualTime += r.virtualTime;
  totals.elections += r.elections;
  totals.commits += r.commits;
  totals.operations += r.operations;
  totals.unknownOutcomes += r.unknownOutcomes;
  totals.messages += r.network.sent;
  for (const [k, v] of Object.entries(r.faults) as [FaultKind, number][]) totals.faults[k] = (totals.faults[k] ?? 0) + v;
  return totals;
}

export function describeTotals(t: CampaignTotals): string {
  const faults = Object.entries(t.faults)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return (
    `${t.schedules} schedules, ${t.steps} steps, ${Math.round(t.virtualTime / 1000)} virtual s, ` +
    `${t.elections} elections, ${t.commits} commits, ${t.operations} client ops (${t.unknownOutcomes} unknown), ` +
    `${t.messages} messages; faults: ${faults}`
  );
}
