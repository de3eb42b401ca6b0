// Runs one `dist/yakt` client command to its end (bounded) and returns its exit code and output.
import { BINARY } from "./process-cluster.ts";

export interface YaktRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runYakt(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<YaktRun> {
  const proc = Bun.spawn([BINARY, ...args], {
    env: { ...process.env, YAKT_SERVER: "", YAKT_TOKEN: "", ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    timeout: timeoutMs,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Runs and parses --output json; fails with the command's stderr when it did not exit 0. */
export async function yaktJson(args: string[], env: Record<string, string> = {}): Promise<any> {
  const run = await runYakt([...args, "--output", "json"], env);
  if (run.code !== 0) throw new Error(`yakt ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
