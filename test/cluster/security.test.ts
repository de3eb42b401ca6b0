// Security on real processes, with certificates made by scripts/make-certs.sh (openssl) at test
// time: a 3-node cluster serving HTTPS with client certificates (mTLS) and role tokens commits and
// fails over; plain HTTP and a client without a certificate are refused; each role gets 401/403/2xx
// on a write, a read and a BrokerMgmt fetch; SIGHUP picks up a new token file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeCerts } from "../support/make-certs.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-security-test-"));
const certs = join(dir, "certs");
const tokensFile = join(dir, "tokens");
const TOKENS = { admin: "admin-token-000000000001", broker: "broker-token-00000000001", reader: "reader-token-00000000001" };
const writeTokens = (lines: string[]) => writeFileSync(tokensFile, `${lines.join("\n")}\n`);


makeCerts(certs);
writeTokens([`${TOKENS.admin} admin alice`, `${TOKENS.broker} broker b1`, `${TOKENS.reader} reader dashboard`]);
const pem = (name: string) => readFileSync(join(certs, name), "utf8");
const tlsClient = { ca: pem("ca.crt"), cert: pem("client.crt"), key: pem("client.key") };
const as = (role: keyof typeof TOKENS) => ({ tls: tlsClient, headers: { authorization: `Bearer ${TOKENS[role]}` } });

const cluster = new ProcessCluster(3, ["--tls-client-ca", join(certs, "ca.crt"), "--auth-tokens", tokensFile], 3, {
  https: true,
  client: as("admin"),
  nodeFlags: (id) => ["--tls-cert", join(certs, `node-${id}.crt`), "--tls-key", join(certs, `node-${id}.key`)],
});

beforeAll(() => cluster.startAll());
afterAll(async () => {
  await cluster.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("HTTPS with client certificates and role tokens", () => {
  test("the cluster commits over HTTPS and fails over", async () => {
    const leader = await cluster.waitForLeader();
    const created = await http("POST", cluster.url(leader, "/v1/topics"), { name: "secure-1" }, 5_000, as("admin"));
    expect(created.status).toBe(201);
    await cluster.kill(leader);
    const next = await cluster.waitForLeader();
    expect(next).not.toBe(leader);
    const read = await http("GET", cluster.url(next, "/v1/topics/secure-1"), undefined, 5_000, as("reader"));
    expect(read.status).toBe(200);
    cluster.start(leader);
    await cluster.waitForLeader();
  });

  test("plain HTTP to the HTTPS port and a client without a certificate are refused", async () => {
    const id = cluster.live()[0];
    const plain = await http("GET", cluster.url(id, "/healthz").replace("https:", "http:"), undefined, 3_000);
    expect(plain.status).not.toBe(200);
    const noCert = await http("GET", cluster.url(id, "/healthz"), undefined, 3_000, { tls: { ca: tlsClient.ca } });
    expect(noCert.status).toBe(0);
    const withCert = await http("GET", cluster.url(id, "/healthz"), undefined, 3_000, { tls: tlsClient });
    expect(withCert.status).toBe(200);
  });

  test("each role: a write, a read and a BrokerMgmt fetch", async () => {
    const leader = await cluster.waitForLeader();
    const url = (p: string) => cluster.url(leader, p);
    expect((await http("POST", url("/v1/brokers"), { brokerId: 7, brokerHost: "b7", brokerPort: "9092", securityProtocol: "SSL", rackId: "r" }, 5_000, as("admin"))).status).toBe(201);
    const none = await http("GET", url("/v1/topics"), undefined, 3_000, { tls: tlsClient });
    expect([none.status, (none.body as { error: string }).error]).toEqual([401, "unauthorized"]);
    const table: [keyof typeof TOKENS, number, number, number][] = [
      ["reader", 403, 200, 403],
      ["broker", 403, 200, 200],
      ["admin", 201, 200, 200],
    ];
    for (const [role, write, read, fetch] of table) {
      const w = await http("POST", url("/v1/topics"), { name: `by-${role}` }, 5_000, as(role));
      const r = await http("GET", url("/v1/topics"), undefined, 5_000, as(role));
      const f = await http("POST", url("/v1/broker-mgmt/metadata"), { brokerId: 7 }, 5_000, as(role));
      expect({ role, statuses: [w.status, r.status, f.status] }).toEqual({ role, statuses: [write, read, fetch] });
    }
  });

  test("SIGHUP reads the token file again: a new token works, a removed one is refused", async () => {
    const id = cluster.live()[0];
    const fresh = "rotated-token-0000000001";
    writeTokens([`${TOKENS.admin} admin alice`, `${fresh} reader rotated`]);
    process.kill(cluster.pid(id), "SIGHUP");
    const ok = await waitUntil(
      "the new token accepted",
      async () => (await http("GET", cluster.url(id, "/v1/topics?consistency=stale"), undefined, 2_000, { tls: tlsClient, headers: { authorization: `Bearer ${fresh}` } })).status === 200,
      10_000,
      50,
    );
    expect(ok).toBe(true);
    const old = await http("GET", cluster.url(id, "/v1/topics?consistency=stale"), undefined, 2_000, as("reader"));
    expect(old.status).toBe(401);
    expect(cluster.log(id)).toContain("auth_tokens_reloaded");
    expect(cluster.log(id)).not.toContain(TOKENS.admin);
  });

  test("SIGHUP reads the certificate again: the node serves the re-issued one", async () => {
    const id = cluster.live()[0];
    const served = () => {
      const port = new URL(cluster.url(id, "/")).port;
      const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", join(certs, "ca.crt"), "-cert", join(certs, "client.crt"), "-key", join(certs, "client.key")];
      const out = Bun.spawnSync(["openssl", ...args], { stdin: new Uint8Array(0), stdout: "pipe", stderr: "pipe", timeout: 5_000 }).stdout.toString();
      const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0] ?? "";
      return cert;
    };
    const before = served();
    expect(before).toContain("BEGIN CERTIFICATE");
    makeCerts(certs); // same CA, new node certificates
    expect(pem(`node-${id}.crt`).trim()).not.toBe(before.trim());
    process.kill(cluster.pid(id), "SIGHUP");
    await waitUntil("the re-issued certificate served", () => served().trim() === pem(`node-${id}.crt`).trim(), 10_000, 100);
    expect(cluster.log(id)).toContain("tls_reloaded");
  });

  test("the data dir and its database are readable by their owner only", () => {
    const s = statSync(join(cluster.dataDir(1), "yakt.db"));
    expect(s.mode & 0o077).toBe(0);
    expect(statSync(cluster.dataDir(1)).mode & 0o077).toBe(0);
  });
});
