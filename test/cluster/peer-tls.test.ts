// Peer mTLS on real processes, with certificates made by scripts/make-certs.sh (openssl) at test
// time: a 3-node cluster with peer mTLS and HTTPS commits and fails over; node 3 restarted with a
// certificate of another CA, then with node 2's certificate, is refused by the others (and both
// sides' logs say why) while the cluster keeps committing; with its own certificate back it
// catches up; SIGHUP re-reads the peer certificates for new connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../node/support/wait-until.ts";
import { makeCerts } from "../support/make-certs.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-peer-tls-test-"));
const certs = join(dir, "certs");
const foreign = join(dir, "foreign");

makeCerts(certs);
makeCerts(foreign);
const client = { tls: { ca: readFileSync(join(certs, "ca.crt"), "utf8") } };

/** What node 3 presents on its next start. */
type Node3Identity = "own" | "foreign-ca" | "node-2";
let node3: Node3Identity = "own";

function peerFlags(id: number): string[] {
  const [from, certOf] = id !== 3 || node3 === "own" ? [certs, id] : node3 === "foreign-ca" ? [foreign, 3] : [certs, 2];
  return [
    ...["--peer-tls-cert", join(from, `node-${certOf}.crt`), "--peer-tls-key", join(from, `node-${certOf}.key`)],
    // Node 3 of another CA still trusts the cluster's CA: the listeners must refuse its certificate themselves.
    ...["--peer-tls-ca", join(certs, "ca.crt")],
    ...["--tls-cert", join(certs, `node-${id}.crt`), "--tls-key", join(certs, `node-${id}.key`)],
  ];
}

const cluster = new ProcessCluster(3, [], 3, { https: true, client, nodeFlags: peerFlags });

beforeAll(() => cluster.startAll());
afterAll(async () => {
  await cluster.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The leader nodes 1 and 2 agree on (node 3 may be shut out and know none). */
async function leaderOfOneAndTwo(): Promise<number> {
  return waitUntil(
    "a leader agreed by nodes 1 and 2",
    async () => {
      const [a, b] = await Promise.all([cluster.status(1), cluster.status(2)]);
      const leader = a?.leader ?? 0;
      return (leader === 1 || leader === 2) && b?.leader === leader ? leader : null;
    },
    15_000,
    50,
  );
}

async function createTopic(name: string): Promise<void> {
  const leader = node3 === "own" ? await cluster.waitForLeader() : await leaderOfOneAndTwo();
  const created = await http("POST", cluster.url(leader, "/v1/topics"), { name }, 5_000, client);
  expect(created.status).toBe(201);
}

async function hasTopic(id: number, name: string): Promise<boolean> {
  return (await http("GET", cluster.url(id, `/v1/topics/${name}?consistency=stale`), undefined, 2_000, client)).status === 200;
}

/** Restart node 3 presenting `identity`; the live nodes 1 and 2 keep the cluster going meanwhile. */
async function restartNode3(identity: Node3Identity): Promise<void> {
  if (cluster.live().includes(3)) await cluster.kill(3);
  node3 = identity;
  cluster.start(3);
}

/** The certificate node `id`'s peer port presents to a TLS client with node 3's certificate (openssl s_client). */
function peerCertServed(id: number): string {
  const args = ["s_client", "-connect", cluster.peerAddress(id), "-CAfile", join(certs, "ca.crt"), "-cert", join(certs, "node-3.crt"), "-key", join(certs, "node-3.key")];
  const out = Bun.spawnSync(["openssl", ...args], { stdin: new Uint8Array(0), stdout: "pipe", stderr: "pipe", timeout: 5_000 }).stdout.toString();
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0] ?? "";
}

const logged = (id: number, ...parts: string[]) => cluster.log(id).split("\n").some((line) => parts.every((p) => line.includes(p)));

describe("peer mTLS between real processes", () => {
  test("a 3-node cluster with peer mTLS and HTTPS commits and fails over", async () => {
    await createTopic("peer-tls-1");
    const leader = await cluster.waitForLeader();
    await cluster.kill(leader);
    const next = await cluster.waitForLeader();
    expect(next).not.toBe(leader);
    await createTopic("peer-tls-2");
    cluster.start(leader);
    await waitUntil("the restarted node catches up over TLS", () => hasTopic(leader, "peer-tls-2"), 20_000, 100);
    expect(cluster.log(next)).toContain('"peerTls":true');
  });

  test("a node whose certificate another CA signed cannot join; the cluster keeps committing", async () => {
    await restartNode3("foreign-ca");
    await waitUntil("1 and 2 refuse node 3's certificate as listeners", () => logged(1, "handshake_refused", "not trusted") && logged(2, "handshake_refused", "not trusted"), 20_000, 100);
    await waitUntil("and will not dial it either", () => logged(1, "peer_tls_refused", "not trusted"), 20_000, 100);
    await waitUntil("node 3's log says why", () => logged(3, "handshake_refused", "not trusted"), 20_000, 100);
    expect(logged(3, "peer_tls_cert_untrusted")).toBe(true);
    await createTopic("while-foreign");
    expect((await cluster.status(3))?.leader).toBe(0); // it never heard from the leader
    expect(await hasTopic(3, "while-foreign")).toBe(false);
  });

  test("a node presenting another node's certificate is refused", async () => {
    await restartNode3("node-2");
    await waitUntil("1 refuses node 3 claiming with node 2's certificate", () => logged(1, "handshake_refused", "node 3 presents the certificate of node 2"), 20_000, 100);
    await waitUntil("1 will not take node 2's certificate from node 3's port", () => logged(1, "peer_tls_refused", "dialed as node 3 presents the certificate of node 2"), 20_000, 100);
    await waitUntil("node 3 is told why", () => logged(3, "handshake_refused", "node 3 presents the certificate of node 2"), 20_000, 100);
    expect(logged(3, "peer_tls_cert_mismatch")).toBe(true);
    await createTopic("while-impostor");
    expect((await cluster.status(3))?.leader).toBe(0);
    expect(await hasTopic(3, "while-impostor")).toBe(false);
  });

  test("with its own certificate back, node 3 catches up: only the certificates kept it out", async () => {
    await restartNode3("own");
    await waitUntil("node 3 has what it missed", async () => (await hasTopic(3, "while-foreign")) && (await hasTopic(3, "while-impostor")), 30_000, 100);
  });

  test("SIGHUP re-reads the peer certificates; new peer connections use them", async () => {
    const before = peerCertServed(1);
    expect(before).toBe(readFileSync(join(certs, "node-1.crt"), "utf8").trim());
    makeCerts(certs); // the same CA, re-issued node certificates
    for (const id of [1, 2]) process.kill(cluster.pid(id), "SIGHUP");
    await waitUntil("both say so", () => logged(1, "peer_tls_reloaded", "new peer connections use it") && logged(2, "peer_tls_reloaded"), 10_000, 50);
    await waitUntil("node 1's peer port serves the re-issued certificate", () => peerCertServed(1) === readFileSync(join(certs, "node-1.crt"), "utf8").trim(), 10_000, 100);
    expect(peerCertServed(1)).not.toBe(before);
    await cluster.kill(3);
    await createTopic("after-rotation");
    cluster.start(3);
    await waitUntil("node 3 reconnects to the rotated listeners and catches up", () => hasTopic(3, "after-rotation"), 30_000, 100);
  });
});
