// The peer TLS flags as the command line sets them up: the three go together, their files are read
// and checked by name, a node's own certificate is looked at (names this node? signed by the CA?),
// and a peer port on a network without TLS or a secret is warned about (log and `status`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand } from "../../src/cli/command.ts";
import { exposureWarnings } from "../../src/cli/exposure.ts";
import type { NodeConfig } from "../../src/cli/node-config.ts";
import { checkOwnPeerCert, warnIfPeerPortOpen } from "../../src/cli/peer-security.ts";
import { readPeerTls, readSecurity } from "../../src/cli/security-files.ts";
import { makeCerts } from "../support/make-certs.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-peer-tls-flags-"));
const certs = join(dir, "certs");
const other = join(dir, "other");
beforeAll(() => {
  for (const out of [certs, other]) makeCerts(out, 2);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): NodeConfig {
  const c = parseCommand(args);
  if (c.kind !== "run") throw new Error(`expected run, got ${c.kind}`);
  return c.config;
}

const peerFlags = (id: number, from = certs) => ["--peer-tls-cert", join(from, `node-${id}.crt`), "--peer-tls-key", join(from, `node-${id}.key`), "--peer-tls-ca", join(from, "ca.crt")];

describe("peer TLS flags", () => {
  test("the three go together, each naming a file; none means plain TCP", () => {
    expect(run([]).peerTls).toBeNull();
    expect(run(["--peer-tls-cert", "a", "--peer-tls-key", "b", "--peer-tls-ca", "c"]).peerTls).toEqual({ cert: "a", key: "b", ca: "c" });
    expect(() => run(["--peer-tls-cert", "a"])).toThrow("go together (both sides of every peer link are verified): missing --peer-tls-key, --peer-tls-ca");
    expect(() => run(["--peer-tls-cert", "a", "--peer-tls-key", "b"])).toThrow("missing --peer-tls-ca");
    expect(() => run(["--peer-tls-ca", "c"])).toThrow("missing --peer-tls-cert, --peer-tls-key");
    expect(() => run(["--peer-tls-cert", " ", "--peer-tls-key", "b", "--peer-tls-ca", "c"])).toThrow("--peer-tls-cert: must name a file");
  });

  test("the files are read at start; a wrong or missing one is refused by name", () => {
    const material = readSecurity(run(peerFlags(1))).peerTls;
    expect(material?.cert).toBe(readFileSync(join(certs, "node-1.crt"), "utf8"));
    expect(material?.ca).toContain("BEGIN CERTIFICATE");
    const bad = join(dir, "not-pem");
    writeFileSync(bad, "hello");
    expect(() => readPeerTls({ cert: bad, key: join(certs, "node-1.key"), ca: join(certs, "ca.crt") })).toThrow(`--peer-tls-cert ${bad} holds no PEM certificate`);
    expect(() => readPeerTls({ cert: join(certs, "node-1.crt"), key: join(certs, "node-1.crt"), ca: join(certs, "ca.crt") })).toThrow("holds no PEM private key");
    expect(() => readPeerTls({ cert: join(certs, "node-1.crt"), key: join(certs, "node-1.key"), ca: join(dir, "missing") })).toThrow("cannot read --peer-tls-ca");
  });

  test("a node's own certificate that names another node, or that the CA did not sign, is warned about", () => {
    /** Node `nodeId` started with node `certOf`'s certificate from `certFrom` and the CA of `caFrom`. */
    const warnings = (nodeId: number, certOf: number, certFrom: string, caFrom: string): string[] => {
      const events: string[] = [];
      const m = readPeerTls({ cert: join(certFrom, `node-${certOf}.crt`), key: join(certFrom, `node-${certOf}.key`), ca: join(caFrom, "ca.crt") });
      checkOwnPeerCert(nodeId, m, (e) => events.push(e));
      return events;
    };
    expect(warnings(1, 1, certs, certs)).toEqual([]);
    expect(warnings(3, 2, certs, certs)).toEqual(["peer_tls_cert_mismatch"]);
    expect(warnings(1, 1, other, certs)).toEqual(["peer_tls_cert_untrusted"]);
  });
});

describe("an exposed peer port", () => {
  const peers = ["--node-id", "1", "--peers", "1@10.0.0.1:9091,2@10.0.0.2:9091", "--cluster-id", "c"];
  const peerWarning = (args: string[]) => exposureWarnings(run(args)).filter((w) => w.startsWith("peer port"));

  test("a non-loopback peer listener without TLS or a secret is warned about in the log and status", () => {
    expect(peerWarning([])).toEqual([]);
    expect(peerWarning(peers)).toEqual([
      "peer port on 10.0.0.1:9091 is reachable from other machines without peer TLS (--peer-tls-cert/--peer-tls-key/--peer-tls-ca) or a peer secret (--peer-secret-file): anyone who knows the cluster id can join as a peer",
    ]);
    expect(peerWarning([...peers, ...peerFlags(1)])).toEqual([]);
    expect(peerWarning([...peers, "--peer-secret-file", "s"])).toEqual([]);
  });

  test("peer TLS also quiets the peers-on-a-network warning", () => {
    const events: string[] = [];
    warnIfPeerPortOpen(run([...peers, ...peerFlags(1)]), false, (e) => events.push(e));
    expect(events).toEqual([]);
    warnIfPeerPortOpen(run(peers), false, (e) => events.push(e));
    expect(events).toEqual(["peer_secret_missing"]);
  });
});
