// The memory options a node runs with, and the re-execution that sets them. Both stop work that
// gives memory back to the kernel, or touches it ahead of need, only for the process to fault it in
// again: on a paravirtualized kernel (this machine's) each fault costs a trip through the
// hypervisor (bench/HISTORY.md, "Write CPU, fifth look", 2026-12-07).
//
// - MIMALLOC_PURGE_HOLES=0: Bun's allocator (its mimalloc fork) hands the free holes inside pages
//   still in use back to the kernel every 100 ms: ~500 madvise calls a second on a node under
//   steady writes, and as many faults after: ~17 % of the cluster's CPU per write. Whole free
//   pages still go back after the allocator's usual delay.
// - BUN_JSC_useWarmUpMarkedBlocks=0: JavaScriptCore's JSCWarmUp thread touches idle heap blocks
//   ahead of their use: ~12 % of the cluster's CPU per write more with it than without.
//
// mimalloc and JavaScriptCore read these once, from the environment, before any of our code runs;
// so a node started without them executes itself again with them set. execve keeps the process
// id, so supervisors, `kill -9` and the pid file see one process. A value the operator exported
// wins, each option on its own.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

export const NODE_MEMORY_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  MIMALLOC_PURGE_HOLES: "0",
  BUN_JSC_useWarmUpMarkedBlocks: "0",
});

/** What this process was started with, as Bun reports it. */
export interface ProcessImage {
  argv0: string;
  argv: readonly string[];
  execArgv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

export interface ExecPlan {
  argv: string[];
  env: string[];
}

/** Where `bun build --compile` places the entry point: argv[1] names it, not a user argument. */
const COMPILED_ENTRY_PREFIX = "/$bunfs/";

/** The argv and environment to execute again with, or null when every option is already set. */
export function memoryExecPlan(image: ProcessImage, options: Readonly<Record<string, string>> = NODE_MEMORY_OPTIONS): ExecPlan | null {
  const missing = Object.keys(options).filter((name) => image.env[name] === undefined);
  if (missing.length === 0) return null;
  const compiled = image.argv[1]?.startsWith(COMPILED_ENTRY_PREFIX) ?? false;
  // A compiled binary finds its entry itself; `bun file.ts` needs its runtime flags and the file.
  const argv = compiled ? [image.argv0, ...image.argv.slice(2)] : [image.argv0, ...image.execArgv, ...image.argv.slice(1)];
  const env = Object.entries(image.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`);
  for (const name of missing) env.push(`${name}=${options[name]}`);
  return { argv, env };
}

export type MemoryOutcome = { applied: true } | { applied: false; reason: string };

/**
 * Executes this process again with the node's memory options when any is missing; returns
 * only when nothing was missing or the execution failed (the node then runs on the defaults).
 */
export function applyMemoryOptions(): MemoryOutcome {
  const plan = memoryExecPlan({ argv0: process.argv0, argv: process.argv, execArgv: process.execArgv, env: process.env });
  if (plan === null) return { applied: true };
  if (process.platform !== "linux") return { applied: false, reason: `no re-execution on ${process.platform}` };
  try {
    const libc = dlopen("libc.so.6", {
      execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    // Every buffer execve reads is built before the call and held by a local of this frame until
    // it returns (JavaScriptCore scans the stack conservatively), so none is freed in between.
    const strings: Buffer[] = [];
    const cString = (s: string) => {
      const b = Buffer.from(`${s}\0`);
      strings.push(b);
      return b;
    };
    const pointers = (items: string[]) => {
      const array = new BigUint64Array(items.length + 1); // NULL-terminated, as execve requires
      items.forEach((s, i) => {
        array[i] = BigInt(ptr(cString(s)));
      });
      return array;
    };
    // The executable's own path, not /proc/self/exe: the kernel names the process after the file
    // it executes, and `pgrep yakt`, `ps -C yakt` or `pkill yakt` look for that name.
    const path = cString(process.execPath);
    const argv = pointers(plan.argv);
    const env = pointers(plan.env);
    libc.symbols.execve(ptr(path), ptr(argv), ptr(env));
    // Reached only when execve failed.
    const errno = read.i32(libc.symbols.__errno_location() as NonNullable<ReturnType<typeof ptr>>, 0);
    const reason = `execve of ${process.execPath} with ${argv.length - 1} arguments and ${env.length - 1} variables failed (errno ${errno})`;
    libc.close();
    return { applied: false, reason };
  } catch (e) {
    return { applied: false, reason: (e as Error).message };
  }
}
