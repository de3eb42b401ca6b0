// Peer mTLS over real sockets: transports whose certificates come from scripts/make-certs.sh
// (openssl, made at test time) connect and exchange messages; every refusal is checked on both
// sides: a certificate from another CA, a node claiming another node's id, a certificate that names
// no node, a plain-TCP peer; a reload (setTls) that new connections follow; and a TLS peer that
// gets in through a flood of its own address.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeId } from "../../src/raft/types.ts";
import { certNodeId } from "../../src/transport/peer-tls.ts";
import type { PeerTlsMaterial } from "../../src/transport/peer-tls.ts";
import { makeCerts } from "../support/make-certs.ts";
import { FrameDecoder } from "../../src/transport/frame-decoder.ts";
import { FrameKind } from "../../src/transport/frame.ts";
import type { Frame } from "../../src/transport/frame.ts";
import { decodeRefusal } from "../../src/transport/handshake-codec.ts";
import { Harness, msg, waitFor } from "./helpers.ts";
import { SLOT_LIMITS, flood, slowTurns } from "./floods.ts";
import { handshakeFrame } from "./raw-sockets.ts";
import type { Node } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "yakt-peer-tls-"));
const harness = new Harness();

beforeAll(() => {
  makeCerts(join(dir, "ca1"));
  makeCerts(join(dir, "ca2"));
});
afterEach(() => harness.stopAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = (ca: string, file: string) => readFileSync(join(dir, ca, file), "utf8");
/** The material of `certOf` (node-N or client) under CA directory `ca`. */
const material = (ca: string, certOf: string): PeerTlsMaterial => ({ cert: pem(ca, `${certOf}.crt`), key: pem(ca, `${certOf}.key`), ca: pem(ca, "ca.crt") });

/** Start each node with its own TLS material (null: plain TCP), then give everyone everyone's address. */
async function meshWith(spec: [NodeId, PeerTlsMaterial | null][]): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const [id, tls] of spec) nodes.push(await harness.start(id, new Map(), { tls }));
  const addresses = new Map(nodes.map((n) => [n.id, `127.0.0.1:${n.port}`]));
  for (const n of nodes) n.transport.setPeers(addresses);
  return nodes;
}

const linked = (from: Node, to: NodeId) => from.transport.stats().peers.find((p) => p.id === to)?.connected ?? false;
const logged = (n: Node, event: string, text: string) => n.logs.some((l) => l.event === event && String(l.fields.reason ?? l.fields.detail).includes(text));

describe("peer mTLS", () => {
  test("nodes whose certificates one CA signed connect and exchange messages and requests", async () => {
    const [a, b] = await meshWith([[1, material("ca1", "node-1")], [2, material("ca1", "node-2")]]);
    await waitFor("both links up", () => linked(a!, 2) && linked(b!, 1));
    a!.transport.send([msg("Heartbeat", 1, 2, 4)]);
    await waitFor("b got the heartbeat", () => b!.received.length === 1);
    expect(await b!.transport.request(1, new Uint8Array([9]), 2_000)).toEqual(new Uint8Array([2, 9]));
    expect(a!.transport.stats().refusedConnections + b!.transport.stats().refusedConnections).toBe(0);
  });

  test("a node of another CA is refused both ways: each dialer distrusts the other's listener", async () => {
    const [a, b, c] = await meshWith([[1, material("ca1", "node-1")], [2, material("ca1", "node-2")], [3, material("ca2", "node-3")]]);
    await waitFor("1 and 2 link", () => linked(a!, 2) && linked(b!, 1));
    await waitFor("3 distrusts 1", () => logged(c!, "peer_tls_refused", "not trusted"));
    await waitFor("1 distrusts 3", () => logged(a!, "peer_tls_refused", "not trusted"));
    expect(linked(a!, 3) || linked(c!, 1) || linked(c!, 2) || linked(b!, 3)).toBe(false);
    c!.transport.send([msg("Vote", 3, 1, 9)]);
    a!.transport.send([msg("Heartbeat", 1, 2, 4)]);
    await waitFor("2 still gets 1's messages", () => b!.received.length === 1);
    expect(a!.received).toEqual([]);
  });

  test("a certificate of another CA is refused by the listener even when its holder trusts the cluster's CA", async () => {
    // Bun reports this client certificate as success *with* an authorizationError: the transport must refuse it itself.
    const foreign = { ...material("ca2", "node-3"), ca: pem("ca1", "ca.crt") };
    const [a, , c] = await meshWith([[1, material("ca1", "node-1")], [2, material("ca1", "node-2")], [3, foreign]]);
    await waitFor("1 refuses 3's certificate", () => logged(a!, "handshake_refused", "not trusted"));
    await waitFor("1 distrusts 3 as a listener", () => logged(a!, "peer_tls_refused", "not trusted"));
    await waitFor("3 is told why", () => logged(c!, "handshake_refused", "not trusted"));
    expect(linked(a!, 3) || linked(c!, 1)).toBe(false);
    expect(a!.received).toEqual([]);
    expect(a!.transport.stats().refusedConnections).toBeGreaterThan(0);
  });

  test("a node presenting another node's certificate is refused: the claimed id must be the certificate's", async () => {
    // Node 3 holds node 2's certificate: the same CA signed it, but it names node 2.
    const [a, , c] = await meshWith([[1, material("ca1", "node-1")], [2, material("ca1", "node-2")], [3, material("ca1", "node-2")]]);
    await waitFor("1 refuses 3's hello", () => logged(a!, "handshake_refused", "node 3 presents the certificate of node 2"));
    await waitFor("3 is told why", () => logged(c!, "handshake_refused", "node 3 presents the certificate of node 2"));
    await waitFor("1 will not talk to a node-3 listener holding node 2's certificate", () =>
      logged(a!, "peer_tls_refused", "dialed as node 3 presents the certificate of node 2"),
    );
    expect(linked(a!, 3) || linked(c!, 1)).toBe(false);
    expect(a!.transport.stats().refusedConnections).toBeGreaterThan(0);
  });

  test("a certificate that names no node is refused", async () => {
    // client.crt (CN=yakt-client) is signed by the cluster CA but is no node's.
    const [a, c] = await meshWith([[1, material("ca1", "node-1")], [3, material("ca1", "client")]]);
    await waitFor("1 refuses it", () => logged(a!, "handshake_refused", "names no node"));
    expect(linked(c!, 1)).toBe(false);
  });

  test("a TLS client without a certificate is refused, and told why, before its Hello is read", async () => {
    const a = await harness.start(1, new Map([[2, "127.0.0.1:1"]]), { tls: material("ca1", "node-1") });
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(1 << 16);
    let closed = false;
    await Bun.connect({
      hostname: "127.0.0.1",
      port: a.port,
      tls: { ca: pem("ca1", "ca.crt") },
      socket: {
        binaryType: "uint8array",
        handshake: (socket) => {
          socket.write(handshakeFrame(2));
        },
        data: (_s, chunk) => {
          frames.push(...decoder.push(chunk));
        },
        close: () => {
          closed = true;
        },
      },
    });
    await waitFor("the listener refuses and closes", () => closed);
    expect(a.logs.some((l) => l.event === "handshake_refused" && l.fields.peer === 0)).toBe(true);
    const refusal = frames.find((f) => f.kind === FrameKind.HandshakeRefuse);
    expect(refusal && decodeRefusal(refusal.body)).toMatch(/not trusted|no certificate|names no node/);
    expect(frames.some((f) => f.kind === FrameKind.HandshakeAck)).toBe(false);
  });

  test("a plain-TCP peer and a TLS peer do not connect either way", async () => {
    const [a, b] = await meshWith([[1, material("ca1", "node-1")], [2, null]]);
    const failedDial = (n: Node, peer: NodeId) => n.logs.some((l) => l.fields.peer === peer && l.event !== "peer_connected");
    await waitFor("each side's dial to the other failed", () => failedDial(a!, 2) && failedDial(b!, 1));
    expect(linked(a!, 2) || linked(b!, 1)).toBe(false);
    expect(b!.received).toEqual([]);
  });

  test("setTls: new connections use the new material, and a bad one changes nothing", async () => {
    const a = await harness.start(1, new Map(), { tls: material("ca1", "node-1") });
    // The listener now presents a certificate of another CA: a node of the first CA cannot join it.
    a.transport.setTls(material("ca2", "node-1"));
    const b = await harness.start(2, new Map([[1, `127.0.0.1:${a.port}`]]), { tls: material("ca1", "node-2") });
    a.transport.setPeers(new Map([[2, `127.0.0.1:${b.port}`]]));
    await waitFor("2 distrusts the rotated listener", () => logged(b, "peer_tls_refused", "not trusted"));
    await waitFor("and 1's rotated dials are distrusted by 2", () => logged(a, "peer_tls_refused", "not trusted"));
    expect(() => a.transport.setTls({ cert: "junk", key: "", ca: "" })).toThrow(/PEM/);
    a.transport.setTls(material("ca1", "node-1"));
    await waitFor("both link once 1 is back on the cluster's CA", () => linked(b, 1) && linked(a, 2));
  });

  test("a transport without TLS cannot take TLS material on a reload", async () => {
    const a = await harness.start(1, new Map());
    expect(() => a.transport.setTls(material("ca1", "node-1"))).toThrow(/without TLS/);
  });
});

describe("peer mTLS under a flood", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  // Its TLS handshake takes turns of its own before its Hello: with the two turns a plain
  // connection settles in, 3 of 3 such runs kept the peer out for 5 s in some round.
  test("a TLS peer gets back in through a flood from its own address, the loop's turns slowed", async () => {
    const a = await harness.start(1, new Map(), { tls: material("ca1", "node-1"), limits: SLOT_LIMITS });
    const b = await harness.start(2, new Map(), { tls: material("ca1", "node-2"), limits: SLOT_LIMITS });
    const addresses = new Map([[1, `127.0.0.1:${a.port}`], [2, `127.0.0.1:${b.port}`]]);
    a.transport.setPeers(addresses);
    b.transport.setPeers(addresses);
    await waitFor("both links up", () => linked(a, 2) && linked(b, 1));
    flood(b.port, 60, cleanups);
    slowTurns(3, cleanups);
    const cut = () => b.transport.stats().evictedConnections + b.transport.stats().turnedAwayConnections;
    await waitFor("the flood fills the waiting slots", () => cut() > 60, 10_000);
    for (let round = 0; round < 8; round++) {
      a.transport.setPeers(new Map());
      a.transport.setPeers(new Map([[2, `127.0.0.1:${b.port}`]]));
      await waitFor(`round ${round}: the peer is connected again`, () => linked(a, 2), 5_000);
    }
    expect(b.transport.stats().refusedConnections).toBe(0);
  });
});

describe("certNodeId", () => {
  test("reads CN=yakt-node-<id> or a SAN URI:yakt:node:<id>, and refuses none or two", () => {
    expect(certNodeId({ subject: { CN: "yakt-node-7" } })).toEqual({ ok: true, certId: 7 });
    expect(certNodeId({ subject: { CN: "x" }, subjectaltname: "DNS:a, URI:yakt:node:12" })).toEqual({ ok: true, certId: 12 });
    expect(certNodeId({ subject: { CN: "yakt-node-3" }, subjectaltname: "URI:yakt:node:3" })).toEqual({ ok: true, certId: 3 });
    expect(certNodeId({ subject: { CN: "yakt-node-3" }, subjectaltname: "URI:yakt:node:4" }).ok).toBe(false);
    expect(certNodeId({ subject: { CN: "yakt-node-03" } }).ok).toBe(false);
    expect(certNodeId({ subject: { CN: "yakt-node-1x" } }).ok).toBe(false);
    expect(certNodeId({ subject: { CN: "yakt-node-99999999999" } }).ok).toBe(false);
    expect(certNodeId({ subject: { CN: "x" }, subjectaltname: "URI:yakt:node:5x" }).ok).toBe(false);
    expect(certNodeId(null).ok).toBe(false);
    expect(certNodeId({}).ok).toBe(false);
  });
});
