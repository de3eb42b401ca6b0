// A campaign split over child processes (`cli.ts --jobs N`): each child runs a contiguous range of
// the seeds with --keep-going and ends with one JSON line of its totals and failures; the parent
// adds them up, so the last line is what one process would have printed. Children share the
// machine's cores; a long campaign (100,000 seeds) takes 1/N of the wall time.
import { type CampaignTotals, emptyTotals } from "./campaign.ts";

export const MAX_JOBS = 16;
/** The child's closing line starts with this, then JSON. */
export const RESULT_PREFIX = "CAMPAIGN-RESULT ";

export interface SeedFailure {
  seed: number;
  check: string;
  detail: string;
}

export interface CampaignResult {
  totals: CampaignTotals;
  failures: SeedFailure[];
}

export function resultLine(r: CampaignResult): string {
  return RESULT_PREFIX + JSON.stringify(r);
}

/** Seeds from..from+count-1 cut into `jobs` contiguous ranges (the first ones one seed longer). */
export function splitSeeds(from: number, count: number, jobs: number): { from: number; count: number }[] {
  const ranges: { from: number; count: number }[] = [];
  let next = from;
  for (let j = 0; j < jobs; j++) {
    const n = Math.floor(count / jobs) + (j < count % jobs ? 1 : 0);
    if (n > 0) ranges.push({ from: next, count: n });
    next += n;
  }
  return ranges;
}

/** Every number of CampaignTotals but the fault counts. */
const COUNTS = ["schedules", "steps", "virtualTime", "elections", "commits", "operations", "unknownOutcomes", "messages"] as const satisfies readonly Exclude<keyof CampaignTotals, "faults">[];
/** Fails to compile when CampaignTotals gains a number COUNTS does not name. */
export const COUNTS_ARE_EXHAUSTIVE: [Exclude<Exclude<keyof CampaignTotals, "faults">, (typeof COUNTS)[number]>] extends [never] ? true : never = true;

export function mergeResults(results: CampaignResult[]): CampaignResult {
  const totals = emptyTotals();
  const failures: SeedFailure[] = [];
  for (const r of results) {
    const t = r.totals;
    for (const k of COUNTS) totals[k] += t[k];
    for (const [k, v] of Object.entries(t.faults)) totals.faults[k] = (totals.faults[k] ?? 0) + v;
    failures.push(...r.failures);
  }
  failures.sort((a, b) => a.seed - b.seed);
  return { totals, failures };
}

/** Runs the children (`childArgs` are the profile flags) and returns their merged result. */
export async function runParallel(cli: string, from: number, count: number, jobs: number, childArgs: string[]): Promise<CampaignResult> {
  const children = splitSeeds(from, count, jobs).map((range) =>
    Bun.spawn([process.execPath, "run", cli, "--seeds", String(range.count), "--from", String(range.from), "--keep-going", "--result-line", ...childArgs], {
      stdout: "pipe",
      stderr: "inherit",
    }),
  );
  const results = await Promise.all(children.map((child) => childResult(child)));
  return mergeResults(results);
}

async function childResult(child: Bun.Subprocess<"ignore", "pipe", "inherit">): Promise<CampaignResult> {
  const out = await new Response(child.stdout).text();
  const code = await child.exited;
  const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined) throw new Error(`a campaign child exited ${code} without its result line; its output ended: ${out.slice(-500)}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as CampaignResult;
}
