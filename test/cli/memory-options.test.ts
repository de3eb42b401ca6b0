// The re-execution plan that gives a node its memory options: which argv and environment it
// executes again with, for a compiled binary and for `bun src/main.ts`, and when it does not.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { memoryExecPlan, NODE_MEMORY_OPTIONS } from "../../src/cli/memory-options.ts";

const options = { MIMALLOC_PURGE_HOLES: "0" };

describe("memoryExecPlan", () => {
  test("the node's options turn mimalloc's hole purging and JavaScriptCore's block warm-up off", () => {
    expect(NODE_MEMORY_OPTIONS).toEqual({ MIMALLOC_PURGE_HOLES: "0", BUN_JSC_useWarmUpMarkedBlocks: "0" });
  });

  test("a compiled binary runs again with its own arguments, not its embedded entry's name", () => {
    const plan = memoryExecPlan(
      { argv0: "./dist/yakt", argv: ["bun", "/$bunfs/root/yakt", "--node-id", "2"], execArgv: [], env: { HOME: "/root", PATH: "/bin" } },
      options,
    );
    expect(plan).toEqual({ argv: ["./dist/yakt", "--node-id", "2"], env: ["HOME=/root", "PATH=/bin", "MIMALLOC_PURGE_HOLES=0"] });
  });

  test("a script keeps bun's flags and the script's path", () => {
    const plan = memoryExecPlan(
      { argv0: "bun", argv: ["/usr/bin/bun", "/repo/src/main.ts", "--data-dir", "d"], execArgv: ["--smol"], env: {} },
      options,
    );
    expect(plan?.argv).toEqual(["bun", "--smol", "/repo/src/main.ts", "--data-dir", "d"]);
  });

  test("an option the operator set, even to another value or empty, is left alone", () => {
    const image = { argv0: "yakt", argv: ["bun", "/$bunfs/root/yakt"], execArgv: [] };
    expect(memoryExecPlan({ ...image, env: { MIMALLOC_PURGE_HOLES: "1" } }, options)).toBeNull();
    expect(memoryExecPlan({ ...image, env: { MIMALLOC_PURGE_HOLES: "" } }, options)).toBeNull();
  });

  test("only the missing options are added; unset variables are not passed on", () => {
    const plan = memoryExecPlan(
      { argv0: "yakt", argv: ["bun", "/$bunfs/root/yakt"], execArgv: [], env: { A: "1", GONE: undefined, MIMALLOC_X: "5" } },
      { MIMALLOC_X: "9", MIMALLOC_Y: "7" },
    );
    expect(plan?.env).toEqual(["A=1", "MIMALLOC_X=5", "MIMALLOC_Y=7"]);
  });
});

describe("applyMemoryOptions", () => {
  test("a failed execve leaves the process running on the defaults, with the reason and errno", () => {
    const { MIMALLOC_PURGE_HOLES: _holes, BUN_JSC_useWarmUpMarkedBlocks: _warmUp, ...env } = process.env;
    const run = Bun.spawnSync([process.execPath, join(import.meta.dir, "fixtures", "memory-options-exec-failure.ts")], { env, timeout: 10_000 });
    expect(run.exitCode).toBe(0);
    const outcome = JSON.parse(run.stdout.toString());
    expect(outcome.applied).toBe(false);
    expect(outcome.reason).toMatch(/^execve of \/nonexistent\/yakt with \d+ arguments and \d+ variables failed \(errno 2\)$/);
  });
});
