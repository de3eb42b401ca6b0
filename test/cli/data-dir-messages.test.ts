// What a start or `yakt format` says about a data dir it cannot use: one held by a running process
// (stop it, or use another dir; never "format it and replace the voter"), and a path that is not a
// directory (a file, a dangling or file symbolic link, a path under a file), said as such.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartupError } from "../../src/cli/cli-errors.ts";
import { formatDataDir, openDataDir } from "../../src/cli/data-dir.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { runConfig } from "./support/run-config.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-data-dir-messages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The format and replace advice a missing or lost store gets. */
const ADVICE = ["yakt format", "remove-voter", "add-voter", "Losing a disk"];

function startArgs(dataDir: string): string[] {
  return ["--node-id", "2", "--peers", "1@127.0.0.1:1,2@127.0.0.1:2", "--cluster-id", "c9", "--data-dir", dataDir];
}

function failure(open: () => unknown): string {
  try {
    open();
  } catch (e) {
    expect(e).toBeInstanceOf(StartupError);
    return (e as Error).message;
  }
  throw new Error("expected a StartupError");
}

describe("a data dir another process holds", () => {
  test("start and format say which process holds it and what to do, without the format or replace advice", async () => {
    const dataDir = join(dir, "held");
    formatDataDir({ clusterId: "c9", nodeId: 2, dataDir });
    // Another process takes the store's lock the way a running node does, and keeps it until killed.
    const lockModule = join(import.meta.dir, "../../src/storage/store-lock.ts");
    const code = `const { StoreLock } = await import(${JSON.stringify(lockModule)}); globalThis.held = StoreLock.acquire(${JSON.stringify(join(dataDir, "yakt.db"))}, 1000); console.log("held"); setInterval(() => {}, 1000);`;
    const holder = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
    try {
      const reader = holder.stdout.getReader();
      let out = "";
      await waitUntil("the holder to take the lock", async () => {
        const { value } = await reader.read();
        out += new TextDecoder().decode(value ?? new Uint8Array());
        return out.includes("held");
      });
      const expected =
        `data dir ${dataDir} is in use by another process (pid ${holder.pid}), which holds its lock ${join(dataDir, "yakt.db-lock")}; ` +
        "stop that process first, or use another --data-dir";
      for (const message of [failure(() => openDataDir(runConfig(startArgs(dataDir)))), failure(() => formatDataDir({ clusterId: "c9", nodeId: 2, dataDir }))]) {
        expect(message).toBe(expected);
        for (const a of ADVICE) expect(message).not.toContain(a);
      }
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
    // Once the holder is gone the lock goes with it: the same start opens the store.
    const opened = openDataDir(runConfig(startArgs(dataDir)));
    expect(opened.identity).toMatchObject({ clusterId: "c9", nodeId: 2 });
    opened.storage.close();
  }, 30_000);
});

describe("a data dir path that is not a directory", () => {
  const file = join(dir, "file");
  writeFileSync(file, "x");
  symlinkSync(join(dir, "nowhere"), join(dir, "dangling"));
  symlinkSync(file, join(dir, "file-link"));
  const tail = "; --data-dir must name a directory, or a path where one can be created";

  test.each([
    ["a regular file", file, `data dir ${file} exists and is not a directory (it is a regular file)${tail}`],
    ["a dangling symbolic link", join(dir, "dangling"), `data dir ${join(dir, "dangling")} is a symbolic link to "${join(dir, "nowhere")}", which does not exist${tail}`],
    [
      "a symbolic link to a file",
      join(dir, "file-link"),
      `data dir ${join(dir, "file-link")} is a symbolic link to "${file}", which is not a directory (it is a regular file)${tail}`,
    ],
    ["a path under a file", join(file, "sub", "deeper"), `data dir ${join(file, "sub", "deeper")} cannot be created: ${file} exists and is not a directory (it is a regular file)${tail}`],
  ])("%s: start (with and without --peers) and format say so, and nothing is created", (_what, dataDir, expected) => {
    const messages = [
      failure(() => openDataDir(runConfig(startArgs(dataDir)))),
      failure(() => openDataDir(runConfig(["--data-dir", dataDir]))),
      failure(() => formatDataDir({ clusterId: "c9", nodeId: 2, dataDir })),
    ];
    for (const message of messages) {
      expect(message).toBe(expected);
      for (const a of ADVICE) expect(message).not.toContain(a);
    }
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });

  test("a missing data dir under a directory is still refused with --peers as not formatted, with the advice", () => {
    const dataDir = join(dir, "parent", "missing");
    mkdirSync(join(dir, "parent"));
    const message = failure(() => openDataDir(runConfig(startArgs(dataDir))));
    expect(message).toContain("does not exist (data dir not formatted, or lost)");
    for (const a of ADVICE) expect(message).toContain(a);
    // A symbolic link to a directory is a directory.
    symlinkSync(join(dir, "parent"), join(dir, "dir-link"));
    formatDataDir({ clusterId: "c9", nodeId: 2, dataDir: join(dir, "dir-link") });
    const opened = openDataDir(runConfig(startArgs(join(dir, "dir-link"))));
    opened.storage.close();
  });
});
