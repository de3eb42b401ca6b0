// `bun run test/sim/cli.ts --seed N` replays one seed verbosely (trace and outcome);
// `bun run test/sim/cli.ts --seeds N [--from S]` runs a campaign and prints what it covered.
// Exits non-zero on a failure, naming the seed; --keep-going lists every failing seed instead;
// --jobs J splits the seeds over J child processes (parallel-campaign.ts; they keep going).
// --churn uses the bug-injection tests' profile and --bug NAME injects one of their bugs, to
// replay a seed they report (e.g. `--seed 46 --churn --bug figure8`); --stress runs the stress
// profile (more faults, more clients, one protocol bound pushed to its extreme per seed); --wipes
// the churn profile with frequent wiped disks (the directory-id bug hunt); --corrupt frequent
// corrupt reads at start-up (the checksum bug hunt; --corrupt-snapshots: of snapshots only); --pauses frequent long pauses and forwarded
// reads (the stale-read hunt); --deposed leaders cut off and frozen while the rest move on, then
// resumed still cut off with clients reading from them (the hunt for reads served without a
// leadership check). Runs use the real node runtime; --core runs
// the real core under the simulator's own Ready loop instead (the planted core bugs do so).
import { addReport, describeTotals, emptyTotals, runCampaign } from "./campaign.ts";
import { INJECTED_BUGS, isInjectedBug } from "./injected-bugs.ts";
import { churnProfile, configForSeed, corruptProfile, corruptSnapshotsProfile, deposedProfile, pausesProfile, stressProfile, wipesProfile, type SimConfig } from "./sim-config.ts";
import { MAX_JOBS, resultLine, runParallel, type SeedFailure } from "./parallel-campaign.ts";
import { runSimulation } from "./simulation.ts";
import { SimFailure } from "./violation.ts";

const MAX_SEEDS = 10_000_000;
const USAGE = `usage: cli.ts --seed N | --seeds N [--from S] [--keep-going] [--jobs J] [--core] [--churn|--stress|--wipes|--corrupt|--corrupt-snapshots|--pauses|--deposed] [--bug ${Object.keys(INJECTED_BUGS).join("|")}]`;

type Profile = (seed: number) => Partial<SimConfig>;

/** The profiles a flag selects; at most one per run. */
const PROFILES: Record<string, Profile> = {
  "--churn": churnProfile,
  "--stress": stressProfile,
  "--wipes": wipesProfile,
  "--corrupt": corruptProfile,
  "--corrupt-snapshots": corruptSnapshotsProfile,
  "--pauses": pausesProfile,
  "--deposed": deposedProfile,
};

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

function profileFlags(args: string[]): Profile {
  const chosen = Object.keys(PROFILES).filter((flag) => args.includes(flag));
  const core = args.includes("--core");
  if (chosen.length > 1) throw new UsageError(`${Object.keys(PROFILES).join(", ")} exclude each other`);
  const profile = chosen.length === 0 ? () => ({}) : PROFILES[chosen[0]!]!;
  const i = args.indexOf("--bug");
  const name = i < 0 ? undefined : args[i + 1];
  if (name !== undefined && !isInjectedBug(name)) throw new UsageError(`--bug needs one of ${Object.keys(INJECTED_BUGS).join(", ")}, got ${name}`);
  if (i >= 0 && name === undefined) throw new UsageError("--bug needs a name");
  const bug: Partial<SimConfig> = name === undefined ? {} : INJECTED_BUGS[name];
  return (seed) => {
    const base: Partial<SimConfig> = profile(seed);
    const mode: Partial<SimConfig> = core ? { runtime: false } : {};
    const flags = [core ? "--core" : "", base.replayFlags ?? "", bug.replayFlags ?? ""].filter((f) => f !== "").join(" ");
    return { ...base, ...mode, ...bug, replayFlags: flags };
  };
}

async function replay(seed: number, profile: Profile): Promise<void> {
  const report = await runSimulation(configForSeed(seed, { ...profile(seed), traceSink: (line) => console.log(line) }));
  console.log(`seed ${seed} (${report.nodes} nodes): OK ${describeTotals(addReport(emptyTotals(), report))}`);
}

/** With keepGoing, every failing seed is listed (one line each) and the campaign runs to the end. */
async function campaign(count: number, from: number, keepGoing: boolean, profile: Profile, resultOnly: boolean): Promise<boolean> {
  const totals = emptyTotals();
  const failures: SeedFailure[] = [];
  const onFailure = keepGoing
    ? (f: SimFailure) => {
        failures.push({ seed: f.seed, check: f.check, detail: f.detail });
        console.error(`seed ${f.seed} failed ${f.check}: ${f.detail}`);
      }
    : undefined;
  const chunk = 1000;
  for (let s = from; s < from + count; s += chunk) {
    await runCampaign(s, Math.min(chunk, from + count - s), profile, totals, onFailure);
    if (count > chunk) console.error(`… seeds ${from}..${s + Math.min(chunk, from + count - s) - 1}: ${totals.schedules + failures.length}/${count}`);
  }
  if (resultOnly) console.log(resultLine({ totals, failures }));
  else printVerdict(totals, failures);
  return failures.length === 0;
}

function printVerdict(totals: ReturnType<typeof emptyTotals>, failures: SeedFailure[]): void {
  const verdict = failures.length === 0 ? "OK" : `FAILED ${failures.length} seeds (${failures.map((f) => f.seed).join(" ")})`;
  console.log(`${verdict} ${describeTotals(totals)}`);
}

/** --jobs N: the seeds over N child processes (each --keep-going); every failing seed is listed. */
async function parallel(count: number, from: number, jobs: number, args: string[]): Promise<boolean> {
  const own = new Set(["--seeds", "--from", "--jobs"]);
  const childArgs = args.filter((a, i) => !own.has(a) && !own.has(args[i - 1] ?? "") && a !== "--keep-going");
  const { totals, failures } = await runParallel(import.meta.path, from, count, jobs, childArgs);
  for (const f of failures) console.error(`seed ${f.seed} failed ${f.check}: ${f.detail}`);
  printVerdict(totals, failures);
  return failures.length === 0;
}

async function main(args: string[]): Promise<number> {
  try {
    const seed = intFlag(args, "--seed", Number.MAX_SAFE_INTEGER);
    const seeds = intFlag(args, "--seeds", MAX_SEEDS);
    const profile = profileFlags(args);
    if (seed !== undefined) {
      await replay(seed, profile);
      return 0;
    }
    if (seeds === undefined) throw new UsageError(USAGE);
    const from = intFlag(args, "--from", Number.MAX_SAFE_INTEGER) ?? 1;
    const jobs = intFlag(args, "--jobs", MAX_JOBS) ?? 1;
    if (jobs === 0) throw new UsageError(`--jobs needs an integer in [1, ${MAX_JOBS}], got 0`);
    if (jobs > 1) return (await parallel(seeds, from, jobs, args)) ? 0 : 1;
    return (await campaign(seeds, from, args.includes("--keep-going"), profile, args.includes("--result-line"))) ? 0 : 1;
  } catch (e) {
    if (e instanceof SimFailure || e instanceof UsageError) {
      console.error(e.message);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

process.exit(await main(process.argv.slice(2)));
