// The command line: defaults, every flag's checks, the format subcommand, data dir identity rules.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartupError, UsageError } from "../../src/cli/cli-errors.ts";
import { parseCommand } from "../../src/cli/command.ts";
import { formatDataDir, openDataDir, openStore } from "../../src/cli/data-dir.ts";
import { nodeHelp } from "../../src/cli/help.ts";
import { exposureWarnings } from "../../src/cli/exposure.ts";
import { readSecurity } from "../../src/cli/security-files.ts";
import { runConfig } from "../cli/support/run-config.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-cli-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("node flags", () => {
  test("no flags: a one-node cluster on loopback with the documented defaults", () => {
    const c = runConfig([]);
    expect(c.nodeId).toBe(1);
    expect(c.peersGiven).toBe(false);
    expect([...c.peers]).toEqual([[1, "127.0.0.1:9091"]]);
    expect(c.listenHttp).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(c.listenAdmin).toEqual({ host: "127.0.0.1", port: 9990 });
    expect(c.dataDir).toBe("./yakt-data");
    expect([c.tickMs, c.electionTicks, c.heartbeatTicks]).toEqual([10, 10, 2]);
    expect([c.snapshotEntries, c.snapshotRecords, c.snapshotIntervalS, c.sessionTimeoutMs, c.metadataDiffWindowS]).toEqual([50000, 250000, 300, 9000, 600]);
    expect(c.clusterId).toBeNull();
    expect(c.adminToken).toBeNull();
    // 1,000 watching brokers fit on two of three nodes.
    expect(c.maxWatchers).toBe(1024);
  });

  test("--max-watchers sets the watcher bound", () => {
    expect(runConfig(["--max-watchers", "500"]).maxWatchers).toBe(500);
  });

  test("peers give the peer listen address of this node", () => {
    const c = runConfig(["--node-id", "2", "--peers", "1@127.0.0.1:7001,2@127.0.0.1:7002,3@[::1]:7003", "--cluster-id", "prod.eu-1"]);
    expect(c.listenPeer).toEqual({ host: "127.0.0.1", port: 7002 });
    expect(c.peers.get(3)).toBe("[::1]:7003");
    expect(c.clusterId).toBe("prod.eu-1");
  });

  test.each([
    [["--bogus"], "bogus"],
    [["--node-id", "0"], "--node-id"],
    [["--node-id", "x"], "--node-id"],
    [["--peers", "1@a:1,1@b:2"], "listed twice"],
    [["--peers", "nohost"], "<id>@<host>:<port>"],
    [["--peers", "1@h:99999"], "port must be an integer from 1 to 65535"],
    [["--peers", "1@256.256.256.256:1"], "not an IPv4 address"],
    [["--listen-http", "localhost"], "--listen-http"],
    [["--tick-ms", "0"], "--tick-ms"],
    [["--heartbeat-ticks", "10"], "less than --election-ticks"],
    [["--cluster-id", "has space"], "--cluster-id"],
    [["--snapshot-entries", "-5"], "snapshot-entries"],
    [["--snapshot-records", "0"], "snapshot-records"],
    [["--max-watchers", "0"], "--max-watchers: must be 1..65536"],
    [["--max-watchers", "70000"], "--max-watchers: must be 1..65536"],
    [["--max-watchers", "many"], "--max-watchers: expected an integer"],
    [["stray"], "stray"],
  ])("rejects %p with a UsageError naming the problem", (args, fragment) => {
    let error: unknown = null;
    try {
      parseCommand(args as string[]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain(fragment as string);
  });

  test("help and version; help lists every flag with its default", () => {
    expect(parseCommand(["--help"]).kind).toBe("help");
    expect(parseCommand(["--version"]).kind).toBe("version");
    const text = nodeHelp();
    for (const flag of ["--node-id", "--peers", "--tick-ms", "--metadata-diff-window", "--admin-token"]) expect(text).toContain(flag);
    expect(text).toContain("(default: 9000)");
  });
});

describe("format and data dir identity", () => {
  test("format needs all three flags", () => {
    expect(() => parseCommand(["format", "--cluster-id", "c"])).toThrow("--node-id, --data-dir");
    expect(parseCommand(["format", "--help"]).kind).toBe("format-help");
  });

  test("a formatted dir starts only for its own cluster and node", () => {
    const dataDir = join(dir, "a");
    const first = formatDataDir({ clusterId: "c1", nodeId: 2, dataDir });
    expect(first.alreadyFormatted).toBe(false);
    const again = formatDataDir({ clusterId: "c1", nodeId: 2, dataDir });
    expect(again).toEqual({ alreadyFormatted: true, identity: first.identity }); // the directory id is kept
    expect(() => formatDataDir({ clusterId: "c2", nodeId: 2, dataDir })).toThrow(StartupError);
    const ok = openDataDir(runConfig(["--node-id", "2", "--data-dir", dataDir]));
    expect(ok.identity).toEqual({ clusterId: "c1", nodeId: 2, directoryId: first.identity.directoryId });
    expect(ok.formatted).toBe(false);
    ok.storage.close();
    expect(() => openDataDir(runConfig(["--node-id", "3", "--data-dir", dataDir]))).toThrow("belongs to node 2");
    expect(() => openDataDir(runConfig(["--node-id", "2", "--cluster-id", "other", "--data-dir", dataDir]))).toThrow('belongs to cluster "c1"');
  });

  test("an empty dir is formatted on start only as the one-node default (no --peers)", () => {
    const single = openDataDir(runConfig(["--data-dir", join(dir, "b")]));
    expect(single.identity).toMatchObject({ clusterId: "yakt-local", nodeId: 1 });
    expect(single.identity.directoryId).not.toBe("");
    expect(single.formatted).toBe(true);
    single.storage.close();
  });

  test("with --peers, a missing, empty, unformatted or unreadable database is refused, saying what to do, and nothing is written", () => {
    const c = join(dir, "c");
    const peers = ["--node-id", "2", "--peers", "1@127.0.0.1:1,2@127.0.0.1:2", "--data-dir", c, "--cluster-id", "c9"];
    const advice = ["yakt format --cluster-id c9 --node-id 2 --data-dir", "remove-voter 2", "add-voter 2@"];
    const refusal = (what: string) => {
      let message = "";
      try {
        openDataDir(runConfig(peers)).storage.close();
      } catch (e) {
        expect(e).toBeInstanceOf(StartupError);
        message = (e as Error).message;
      }
      expect(message).toContain(what);
      for (const a of advice) expect(message).toContain(a);
    };
    refusal("does not exist");
    expect(existsSync(join(c, "yakt.db"))).toBe(false);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, "yakt.db"), "");
    refusal("is empty (0 bytes)");
    expect(statSync(join(c, "yakt.db")).size).toBe(0);
    writeFileSync(join(c, "yakt.db"), "not a database at all, just some bytes that are not SQLite");
    refusal("cannot open data dir");
    rmSync(join(c, "yakt.db"));
    openStore(c).close(); // a database with the schema but no identity (format never ran)
    refusal("is not formatted");
    formatDataDir({ clusterId: "c9", nodeId: 2, dataDir: c });
    const ok = openDataDir(runConfig(peers));
    expect(ok.formatted).toBe(false);
    ok.storage.close();
  });
});

describe("security flags", () => {
  test("TLS files go together; the client CA needs them; the token file is a path", () => {
    const c = runConfig(["--tls-cert", "a.crt", "--tls-key", "a.key", "--tls-client-ca", "ca.crt", "--auth-tokens", "tokens"]);
    expect(c.tls).toEqual({ cert: "a.crt", key: "a.key", clientCa: "ca.crt" });
    expect(c.authTokensFile).toBe("tokens");
    expect(runConfig([]).tls).toBeNull();
    expect(() => runConfig(["--tls-cert", "a.crt"])).toThrow("--tls-cert and --tls-key go together");
    expect(() => runConfig(["--tls-client-ca", "ca.crt"])).toThrow("--tls-client-ca needs --tls-cert and --tls-key");
    expect(() => runConfig(["--auth-tokens", " "])).toThrow("--auth-tokens: must name a file");
  });

  test("a node reachable from other machines without TLS or tokens is warned about, a loopback one is not", () => {
    expect(exposureWarnings(runConfig([]))).toEqual([]);
    const open = exposureWarnings(runConfig(["--listen-http", "0.0.0.0:8080", "--listen-admin", "0.0.0.0:9990"]));
    expect(open).toEqual([
      "REST API on 0.0.0.0:8080 is reachable from other machines without TLS (--tls-cert/--tls-key) and without tokens (--auth-tokens)",
      "console on 0.0.0.0:9990 is reachable from other machines; without a token remote sessions are read-only",
    ]);
    const secured = runConfig(["--listen-http", "10.1.2.3:8080", "--tls-cert", "a", "--tls-key", "b", "--auth-tokens", "t"]);
    expect(exposureWarnings(secured)).toEqual([]);
  });

  test("unreadable or wrong security files stop the start with a message naming the file", () => {
    const bad = join(dir, "not-a-cert.pem");
    writeFileSync(bad, "hello");
    expect(() => readSecurity(runConfig(["--tls-cert", bad, "--tls-key", bad]))).toThrow(`--tls-cert ${bad} holds no PEM certificate`);
    expect(() => readSecurity(runConfig(["--auth-tokens", join(dir, "missing")]))).toThrow("cannot read --auth-tokens");
    const tokens = join(dir, "tokens");
    writeFileSync(tokens, "short admin\n");
    expect(() => readSecurity(runConfig(["--auth-tokens", tokens]))).toThrow(StartupError);
  });
});
