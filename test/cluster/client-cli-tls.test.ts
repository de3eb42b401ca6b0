// The client CLI of the real binary against a real node serving HTTPS with client certificates and
// role tokens (certificates made by scripts/make-certs.sh at test time): --cacert, --cert/--key and
// --token (or $YAKT_TOKEN) get through; a missing token, too small a role, an unknown CA or no
// client certificate fail with exit 1 and a message saying why; bad flags are usage errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessCluster } from "./support/process-cluster.ts";
import { runYakt } from "./support/run-yakt.ts";
import { makeCerts } from "../support/make-certs.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-client-tls-test-"));
const certs = join(dir, "certs");
const tokensFile = join(dir, "tokens");
const ADMIN = "cli-admin-token-0000000001";
const READER = "cli-reader-token-000000001";

makeCerts(certs, 1);
writeFileSync(tokensFile, `${ADMIN} admin ops\n${READER} reader dash\n`);
const file = (name: string) => join(certs, name);
const client = { tls: { ca: readFileSync(file("ca.crt"), "utf8"), cert: readFileSync(file("client.crt"), "utf8"), key: readFileSync(file("client.key"), "utf8") }, headers: { authorization: `Bearer ${ADMIN}` } };

const cluster = new ProcessCluster(1, ["--tls-cert", file("node-1.crt"), "--tls-key", file("node-1.key"), "--tls-client-ca", file("ca.crt"), "--auth-tokens", tokensFile], 1, {
  https: true,
  client,
});
const tlsFlags = () => ["--server", cluster.url(1, ""), "--cacert", file("ca.crt"), "--cert", file("client.crt"), "--key", file("client.key")];

beforeAll(async () => {
  cluster.startAll();
  await cluster.waitForLeader();
});
afterAll(async () => {
  await cluster.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("the client CLI against HTTPS, mTLS and tokens", () => {
  test("--cacert, --cert/--key and --token (or $YAKT_TOKEN) get through", async () => {
    const created = await runYakt(["topics", "create", "cli-secure", ...tlsFlags(), "--token", ADMIN]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const listed = await runYakt(["topics", "list", ...tlsFlags(), "--output", "json"], { YAKT_TOKEN: READER });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).topics.map((t: { fields: { name: string } }) => t.fields.name)).toContain("cli-secure");
  });

  test("no token is 401, a reader's write is 403: exit 1 with the server's message", async () => {
    const none = await runYakt(["topics", "list", ...tlsFlags()]);
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining("401 unauthorized")]);
    const reader = await runYakt(["topics", "create", "by-reader", ...tlsFlags(), "--token", READER]);
    expect([reader.code, reader.stderr]).toEqual([1, expect.stringContaining("403 forbidden")]);
  });

  test("without the CA or without a client certificate the connection fails; a missing file is named", async () => {
    const server = cluster.url(1, "");
    const noCa = await runYakt(["cluster", "status", "--server", server, "--cert", file("client.crt"), "--key", file("client.key"), "--token", ADMIN]);
    expect([noCa.code, noCa.stderr]).toEqual([1, expect.stringContaining(`cannot reach ${server}`)]);
    const noCert = await runYakt(["cluster", "status", "--server", server, "--cacert", file("ca.crt"), "--token", ADMIN]);
    expect([noCert.code, noCert.stderr]).toEqual([1, expect.stringContaining(`cannot reach ${server}`)]);
    const missing = await runYakt(["cluster", "status", ...tlsFlags().slice(0, 2), "--cacert", join(dir, "nope.crt"), "--token", ADMIN]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining(`--cacert: cannot read ${join(dir, "nope.crt")}`)]);
  });

  test("--cert without --key, or a client certificate for plain http, is a usage error", async () => {
    const half = await runYakt(["cluster", "status", "--server", cluster.url(1, ""), "--cert", file("client.crt")]);
    expect([half.code, half.stderr]).toEqual([2, expect.stringContaining("--cert and --key go together")]);
    const plain = await runYakt(["cluster", "status", "--server", "http://127.0.0.1:1", "--cert", file("client.crt"), "--key", file("client.key")]);
    expect([plain.code, plain.stderr]).toEqual([2, expect.stringContaining("need an https:// --server")]);
  });
});
