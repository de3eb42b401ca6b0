// `bun run test/sim/cli.ts --seed N` replays one seed verbosely (trace and outcome);
// `bun run test/sim/cli.ts --seeds N [--from S]` runs a campaign and prints what it covered.
// Exits non-zero on a failure, naming the seed; --keep-going lists every failing seed instead.
// --churn uses the bug-injection tests' profile (to replay a seed they report).
import { addReport, describeTotals, emptyTotals, runCampaign } from "./campaign.ts";
import { churnProfile, configForSeed } from "./sim-config.ts";
import { runSimulation } from "./simulation.ts";
import { SimFailure } from "./violation.ts";

const MAX_SEEDS = 10_000_000;

class UsageError extends Error {
  readonly code = "usage";
}

function intFlag(args: string[], name: string, max: number): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const raw = args[i + 1];
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new UsageError(`${name} needs an integer in [0, ${max}], got ${raw ?? "nothing"}`);
  }
  return n;
}

function replay(seed: number, churn: boolean): void {
  const profile = churn ? churnProfile(seed) : {};
  const report = runSimulation(configForSeed(seed, { ...profile, traceSink: (line) => console.log(line) }));
  console.log(`seed ${seed} (${report.nodes} nodes): OK ${describeTotals(addReport(emptyTotals(), report))}`);
}

/** With keepGoing, every failing seed is listed (one line each) and the campaign runs to the end. */
function campaign(count: number, from: number, keepGoing: boolean, churn: boolean): boolean {
  const totals = emptyTotals();
  const failures: SimFailure[] = [];
  const onFailure = keepGoing
    ? (f: SimFailure) => {
        failures.push(f);
        console.error(`seed ${f.seed} failed ${f.check}: ${f.detail}`);
      }
    : undefined;
  const chunk = 1000;
  for (let s = from; s < from + count; s += chunk) {
    runCampaign(s, Math.min(chunk, from + count - s), churn ? churnProfile : () => ({}), totals, onFailure);
    if (count > chunk) console.error(`… ${totals.schedules + failures.length}/${count}`);
  }
  const verdict = failures.length === 0 ? "OK" : `FAILED ${failures.length} seeds (${failures.map((f) => f.seed).join(" ")})`;
  console.log(`${verdict} ${describeTotals(totals)}`);
  return failures.length === 0;
}

function main(args: string[]): number {
  try {
    const seed = intFlag(args, "--seed", Number.MAX_SAFE_INTEGER);
    const seeds = intFlag(args, "--seeds", MAX_SEEDS);
    const churn = args.includes("--churn");
    if (seed !== undefined) {
      replay(seed, churn);
      return 0;
    }
    if (seeds === undefined) throw new UsageError("usage: cli.ts --seed N | --seeds N [--from S] [--keep-going] [--churn]");
    const from = intFlag(args, "--from", Number.MAX_SAFE_INTEGER) ?? 1;
    return campaign(seeds, from, args.includes("--keep-going"), churn) ? 0 : 1;
  } catch (e) {
    if (e instanceof SimFailure || e instanceof UsageError) {
      console.error(e.message);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

process.exit(main(process.argv.slice(2)));
