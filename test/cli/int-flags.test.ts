// A negative number after an integer flag (`--from -5`) is that flag's bad value, said with the
// flag's range like any other bad value, never node:util's "argument is ambiguous"; a flag whose
// value is missing (the next word is another flag) says so. The node, `yakt format`, `yakt recover`,
// `yakt dump-log` and the client commands all parse their flags that way.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/cli/cli-errors.ts";
import { parseClientCommand } from "../../src/cli/client/client-command.ts";
import { parseCommand } from "../../src/cli/command.ts";
import { formatDataDir } from "../../src/cli/data-dir.ts";
import { negativeValuesJoined } from "../../src/cli/int-flag.ts";

async function usageError(args: string[]): Promise<string> {
  try {
    // Client commands parse their flags when run; each case fails before any request is sent.
    const command = parseCommand(args);
    if (command.kind === "client") await command.run();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error(`expected a UsageError for ${args.join(" ")}`);
}

const dataDir = "/nonexistent/yakt-int-flags"; // never opened: every case fails while parsing
const server = ["--server", "http://127.0.0.1:1"];

describe("a negative number after an integer flag", () => {
  test.each([
    [["dump-log", "--data-dir", dataDir, "--from", "-5"], '--from: expected a non-negative integer, got "-5"'],
    [["dump-log", "--data-dir", dataDir, "--limit", "-5"], '--limit: expected an integer 1..1000, got "-5"'],
    [["log", ...server, "--from", "-5"], '--from: expected a non-negative integer, got "-5"'],
    [["log", ...server, "--limit", "-5"], '--limit: expected an integer 1..1000, got "-5"'],
    [["log", ...server, "--from=-5"], '--from: expected a non-negative integer, got "-5"'],
    [["log", ...server, "--from", "-5.5"], '--from: expected a non-negative integer, got "-5.5"'],
    [["topics", "create", "t", ...server, "--partitions", "-1", "--replication-factor", "1"], '--partitions: expected an integer 1..1000000, got "-1"'],
    [["--node-id", "-1"], '--node-id: node id must be an integer from 1 to 2147483647, got "-1"'],
    [["--tick-ms", "-5"], '--tick-ms: expected an integer 1..10000, got "-5"'],
    [["--election-ticks", "-1"], '--election-ticks: expected an integer 2..1000, got "-1"'],
    [["--max-watchers", "-1"], '--max-watchers: expected an integer 1..65536, got "-1"'],
    [["--promotion-timeout-ms", "-100"], '--promotion-timeout-ms: expected an integer 100..30000, got "-100"'],
    [["--peers", "-1@127.0.0.1:1"], '--peers: node id must be an integer from 1 to 2147483647, got "-1"'],
    [["format", "--cluster-id", "c", "--node-id", "-1", "--data-dir", dataDir], '--node-id: node id must be an integer from 1 to 2147483647, got "-1"'],
    [["recover", "--data-dir", dataDir, "--voters", "-2@127.0.0.1:1"], '--voters: node id must be an integer from 1 to 2147483647, got "-2"'],
  ])("%p says the flag's range", async (args, expected) => {
    const message = await usageError(args as string[]);
    expect(message).toBe(expected as string);
  });
});

describe("a flag whose value is missing", () => {
  test.each([
    [["--data-dir", "--tick-ms", "5"], "--data-dir: its value is missing (the next word is the flag --tick-ms) (see --help)"],
    [["dump-log", "--from", "--data-dir", dataDir], "dump-log: --from: its value is missing (the next word is the flag --data-dir)"],
    [["log", "--server", "--from", "3"], "log: --server: its value is missing (the next word is the flag --from) (see yakt --help)"],
    [["--admin-token", "-abc"], '--admin-token: its value is missing ("-abc" looks like a flag; a value starting with "-" is written --admin-token=-abc) (see --help)'],
  ])("%p says which flag lacks its value", async (args, expected) => {
    const message = await usageError(args as string[]);
    expect(message).toBe(expected as string);
    expect(message).not.toContain("ambiguous");
  });

  test("a value starting with a dash still goes with =, and a lone - is a value", () => {
    const c = parseCommand(["--admin-token=-abc"]);
    expect(c.kind === "run" && c.config.adminToken).toBe("-abc");
    const options = { from: { type: "string" }, all: { type: "boolean" } } as const;
    expect(negativeValuesJoined(["--from", "-3", "--all", "--", "--from", "-4"], options)).toEqual(["--from=-3", "--all", "--", "--from", "-4"]);
    expect(negativeValuesJoined(["--from", "-"], options)).toEqual(["--from", "-"]);
    expect(negativeValuesJoined(["--from"], options)).toEqual(["--from"]);
  });
});

test("valid values parse as before", async () => {
  const c = parseCommand(["--tick-ms", "5", "--node-id", "3", "--peers", "3@127.0.0.1:7003"]);
  expect(c.kind === "run" && [c.config.tickMs, c.config.nodeId]).toEqual([5, 3]);
  // dump-log of a freshly formatted data dir: the flags are accepted and its (empty) log is read.
  const dir = mkdtempSync(join(tmpdir(), "yakt-int-flags-"));
  try {
    formatDataDir({ clusterId: "c", nodeId: 1, dataDir: dir });
    let out = "";
    const code = await parseClientCommand(["dump-log", "--data-dir", dir, "--from", "0", "--limit", "5", "--output", "json"], (t) => (out += t)).run();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ firstOffset: 1, records: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
