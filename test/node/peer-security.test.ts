// The peer port's protection as the command line sets it up: --peer-secret-file read and checked,
// the warning for peers on a network without a secret, and the handshake timeout from the ticks.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartupError, UsageError } from "../../src/cli/cli-errors.ts";
import type { NodeConfig } from "../../src/cli/node-config.ts";
import { isLoopbackHost, peerHandshakeTimeoutMs, readPeerSecret, warnIfPeerPortOpen } from "../../src/cli/peer-security.ts";
import { runConfig } from "../cli/support/run-config.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-peer-security-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe("--peer-secret-file", () => {
  test("is off by default, and an empty value is a usage error", () => {
    expect(runConfig([]).peerSecretFile).toBeNull();
    expect(runConfig(["--peer-secret-file", "/etc/yakt/peer.key"]).peerSecretFile).toBe("/etc/yakt/peer.key");
    expect(() => runConfig(["--peer-secret-file", " "])).toThrow(UsageError);
  });

  test("the secret is the file's bytes less one trailing newline", () => {
    const warnings: string[] = [];
    const secret = readPeerSecret(secretFile("ok", "0123456789abcdef-xyz\r\n"), (e) => warnings.push(e));
    expect(new TextDecoder().decode(secret)).toBe("0123456789abcdef-xyz");
    expect(warnings).toEqual([]);
  });

  test("a short, missing or world-readable file is refused or warned about", () => {
    expect(() => readPeerSecret(secretFile("short", "too-short\n"), () => {})).toThrow(/holds 9 bytes.*16 to 4096/);
    expect(() => readPeerSecret(join(dir, "missing"), () => {})).toThrow(StartupError);
    const warnings: string[] = [];
    readPeerSecret(secretFile("open", "0123456789abcdef0123", 0o644), (e) => warnings.push(e));
    expect(warnings).toEqual(["peer_secret_file_readable"]);
  });
});

describe("the warning for an open peer port", () => {
  const warned = (config: NodeConfig, hasSecret: boolean): string[] => {
    const events: string[] = [];
    warnIfPeerPortOpen(config, hasSecret, (e) => events.push(e));
    return events;
  };

  test("peers on a network without a secret are warned about; loopback, a secret, or no --peers are not", () => {
    const networked = runConfig(["--node-id", "1", "--peers", "1@10.0.0.1:9091,2@10.0.0.2:9091", "--cluster-id", "c"]);
    expect(warned(networked, false)).toEqual(["peer_secret_missing"]);
    expect(warned(networked, true)).toEqual([]);
    const loopback = runConfig(["--node-id", "1", "--peers", "1@127.0.0.1:9091,2@[::1]:9092,3@localhost:9093", "--cluster-id", "c"]);
    expect(warned(loopback, false)).toEqual([]);
    expect(warned(runConfig(["--listen-peer", "0.0.0.0:9091"]), false)).toEqual([]);
  });

  test("loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "10.0.0.1", "128.0.0.1", "example.com", "::"]) expect(isLoopbackHost(h)).toBe(false);
  });
});

describe("the pre-handshake timeout", () => {
  test("is ten of the longest election timeouts, within [2 s, 30 s]", () => {
    expect(peerHandshakeTimeoutMs({ electionTicks: 10, tickMs: 10 })).toBe(2_000);
    expect(peerHandshakeTimeoutMs({ electionTicks: 10, tickMs: 50 })).toBe(10_000);
    expect(peerHandshakeTimeoutMs({ electionTicks: 2, tickMs: 1 })).toBe(2_000);
    expect(peerHandshakeTimeoutMs({ electionTicks: 1000, tickMs: 10_000 })).toBe(30_000);
  });
});
