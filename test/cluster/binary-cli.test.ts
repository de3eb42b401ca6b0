// The compiled binary's command line and lifecycle: exit codes of bad flags and foreign data dirs,
// format, a one-node start with defaults overridden, and a graceful SIGTERM.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { freePorts } from "../node/support/free-ports.ts";
import { waitUntil } from "../node/support/wait-until.ts";
import { http } from "./support/http.ts";
import { BINARY } from "./support/process-cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-cli-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function yakt(args: string[]) {
  const r = Bun.spawnSync([BINARY, ...args], { cwd: dir, timeout: 10_000 });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("yakt binary", () => {
  test("--version and --help exit 0; bad flags exit 2 with one line", () => {
    expect(yakt(["--version"])).toMatchObject({ code: 0 });
    expect(yakt(["--version"]).out).toMatch(/^yakt \d+\.\d+\.\d+/);
    expect(yakt(["--help"]).out).toContain("--snapshot-interval-s");
    const bad = yakt(["--election-ticks", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split("\n")).toHaveLength(1);
    expect(bad.err).toContain("--election-ticks");
    expect(yakt(["--nope"]).code).toBe(2);
  });

  test("format, then refuse a node id or cluster id the data dir was not formatted for (exit 1)", () => {
    const d = join(dir, "f");
    const formatted = yakt(["format", "--cluster-id", "c1", "--node-id", "1", "--data-dir", d]);
    expect(formatted.code).toBe(0);
    expect(formatted.out).toMatch(/formatted for cluster c1, node 1, directory id [0-9a-f-]{36}\n$/);
    const other = yakt(["--node-id", "2", "--data-dir", d]);
    expect(other.code).toBe(1);
    expect(other.err).toContain("belongs to node 1");
    const cluster = yakt(["--cluster-id", "c2", "--data-dir", d]);
    expect(cluster.code).toBe(1);
    expect(cluster.err).toContain('belongs to cluster "c1"');
    const g = join(dir, "g");
    const unformatted = yakt(["--peers", "1@127.0.0.1:1,2@127.0.0.1:2", "--cluster-id", "c1", "--data-dir", g]);
    expect(unformatted.code).toBe(1);
    expect(unformatted.err).toContain(`yakt format --cluster-id c1 --node-id 1 --data-dir ${g}`);
    expect(existsSync(join(g, "yakt.db"))).toBe(false); // the refusal wrote nothing
  });

  test("a node runs with its memory options, in the process it was started as; an operator's value wins", async () => {
    const { MIMALLOC_PURGE_HOLES: _holes, BUN_JSC_useWarmUpMarkedBlocks: _warmUp, ...env } = process.env;
    // Unset: both set by the node. One exported: kept, and only the other one added.
    for (const [given, expected] of [
      [{}, ["MIMALLOC_PURGE_HOLES=0", "BUN_JSC_useWarmUpMarkedBlocks=0"]],
      [{ MIMALLOC_PURGE_HOLES: "1" }, ["MIMALLOC_PURGE_HOLES=1", "BUN_JSC_useWarmUpMarkedBlocks=0"]],
    ] as const) {
      const [httpPort, peerPort, adminPort] = freePorts(3);
      const dataDir = join(dir, `memory-${httpPort}`);
      const args = [
        ...["--listen-http", `127.0.0.1:${httpPort}`, "--listen-peer", `127.0.0.1:${peerPort}`],
        ...["--listen-admin", `127.0.0.1:${adminPort}`, "--data-dir", dataDir],
      ];
      const proc = Bun.spawn([BINARY, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...env, ...given } });
      try {
        await waitUntil("node answers", async () => (await http("GET", `http://127.0.0.1:${httpPort}/v1/cluster`)).status === 200);
        // The pid Bun.spawn returned is the serving process: execve kept it.
        const environ = readFileSync(`/proc/${proc.pid}/environ`, "utf8").split("\0");
        expect(environ.filter((v) => v.startsWith("MIMALLOC_PURGE_HOLES=") || v.startsWith("BUN_JSC_useWarmUpMarkedBlocks=")).sort()).toEqual([...expected].sort());
        expect(readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0")).toContain(dataDir);
        // Still named after its executable (what pgrep and ps -C look for), not after /proc/self/exe.
        expect(readFileSync(`/proc/${proc.pid}/comm`, "utf8").trim()).toBe(basename(BINARY).slice(0, 15));
      } finally {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    }
  }, 30_000);

  test("a one-node cluster serves writes, and SIGTERM stops it gracefully (exit 0)", async () => {
    const [httpPort, peerPort, adminPort] = freePorts(3);
    const args = [
      ...["--listen-http", `127.0.0.1:${httpPort}`, "--listen-peer", `127.0.0.1:${peerPort}`],
      ...["--listen-admin", `127.0.0.1:${adminPort}`, "--data-dir", join(dir, "solo")],
    ];
    const start = () => Bun.spawn([BINARY, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    let proc = start();
    try {
      const url = `http://127.0.0.1:${httpPort}`;
      await waitUntil("topic created", async () => (await http("POST", `${url}/v1/topics`, { name: "solo-topic" })).status === 201);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      const out = await new Response(proc.stdout).text();
      expect(out).toContain('"event":"node_listening"');
      expect(out).toContain('"event":"shutdown_done"');
      proc = start();
      const topic = await waitUntil("topic after restart", async () => {
        const r = await http("GET", `${url}/v1/topics/solo-topic`);
        return r.status === 200 ? r.body : null;
      });
      expect(JSON.stringify(topic)).toContain("solo-topic");
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }, 30_000);
});
