// The handshake's decisions, without sockets: with a shared secret both roles agree when the
// secrets match, and a MAC is bound to its role, its nonces, its node ids and its secret; under
// peer TLS a peer may claim only the node id its certificate names.
import { describe, expect, test } from "bun:test";
import { answerHello, checkAck, checkListenerTls, checkProof, dialerHello } from "../../src/transport/handshake.ts";
import { decodeHello } from "../../src/transport/handshake-codec.ts";
import { handshakeMac, macMatches } from "../../src/transport/peer-auth.ts";
import { tlsOutcome } from "../../src/transport/peer-tls.ts";

const enc = new TextEncoder();
const SECRET = enc.encode("sixteen-bytes-or-more!!");
const dialer = { nodeId: 1, clusterId: "c", secret: SECRET, advertised: () => "127.0.0.1:9001", founders: [] };
const listener = { nodeId: 2, clusterId: "c", secret: SECRET, advertised: () => "127.0.0.1:9002", founders: [] };

/** The body of a handshake frame (after the u32 length and the kind byte). */
function body(frame: Uint8Array): Uint8Array {
  return frame.subarray(5);
}

describe("the handshake with a peer secret", () => {
  test("both sides prove the same secret: the dialer trusts the ack and the listener the proof", () => {
    const { frame, nonce } = dialerHello(dialer);
    const answer = answerHello(listener, decodeHello(body(frame)), (id) => id === 1, null);
    if (answer.kind !== "ack" || answer.transcript === null) throw new Error(`expected an ack awaiting a proof, got ${answer.kind}`);
    const { mismatch, proof } = checkAck(dialer, 2, nonce, decodeHello(body(answer.ack)));
    expect(mismatch).toBeNull();
    expect(checkProof(listener, answer.transcript, body(proof!))).toBeNull();
  });

  test("a MAC is bound to its role, nonces, ids and secret", () => {
    const t = { clusterId: "c", dialerId: 1, listenerId: 2, dialerNonce: new Uint8Array(32).fill(1), listenerNonce: new Uint8Array(32).fill(2) };
    const mac = handshakeMac(SECRET, "listener", t);
    expect(macMatches(SECRET, "listener", t, mac)).toBe(true);
    expect(macMatches(SECRET, "dialer", t, mac)).toBe(false);
    expect(macMatches(SECRET, "listener", { ...t, dialerNonce: new Uint8Array(32).fill(3) }, mac)).toBe(false);
    expect(macMatches(SECRET, "listener", { ...t, dialerId: 3 }, mac)).toBe(false);
    expect(macMatches(enc.encode("another-secret-of-length"), "listener", t, mac)).toBe(false);
    expect(macMatches(SECRET, "listener", t, mac.subarray(0, 31))).toBe(false);
  });

  test("a listener with another secret is not trusted, and its own MAC cannot pass as the dialer's proof", () => {
    const { frame, nonce } = dialerHello(dialer);
    const other = { ...listener, secret: enc.encode("a-different-peer-secret") };
    const answer = answerHello(other, decodeHello(body(frame)), () => true, null);
    if (answer.kind !== "ack" || answer.transcript === null) throw new Error("expected an ack");
    const ack = decodeHello(body(answer.ack));
    expect(checkAck(dialer, 2, nonce, ack).mismatch).toContain("secrets differ");
    expect(checkProof(other, answer.transcript, ack.mac)).toContain("secrets differ");
  });

  test("without a secret on either side the handshake is as before: no proof", () => {
    const plain = { nodeId: 1, clusterId: "c", secret: null, advertised: () => "", founders: [] };
    const { frame, nonce } = dialerHello(plain);
    const answer = answerHello({ ...plain, nodeId: 2 }, decodeHello(body(frame)), () => true, null);
    if (answer.kind !== "ack") throw new Error("expected an ack");
    expect(answer.transcript).toBeNull();
    expect(checkAck(plain, 2, nonce, decodeHello(body(answer.ack)))).toEqual({ mismatch: null, proof: null });
  });
});

describe("the handshake under peer TLS: the claimed id is the certificate's", () => {
  const plain = { nodeId: 1, clusterId: "c", secret: null, advertised: () => "", founders: [] };

  test("the listener acks a Hello whose id its certificate names, and refuses another id", () => {
    const { frame } = dialerHello({ ...plain, nodeId: 3 });
    const hello = decodeHello(body(frame));
    expect(answerHello(plain, hello, () => true, 3).kind).toBe("ack");
    const refused = answerHello(plain, hello, () => true, 2);
    expect(refused).toEqual({ kind: "refuse", reason: expect.stringContaining("node 3 presents the certificate of node 2") });
  });

  test("a dialer outside the peer list is acked as a learned peer only with its address and its own certificate", () => {
    const { frame } = dialerHello({ ...plain, nodeId: 9, advertised: () => "10.0.0.9:9093" });
    const hello = decodeHello(body(frame));
    expect(hello.address).toBe("10.0.0.9:9093");
    expect(answerHello(plain, hello, () => false, 9)).toMatchObject({ kind: "ack", peerId: 9 });
    expect(answerHello(plain, hello, () => false, 4)).toEqual({ kind: "refuse", reason: expect.stringContaining("node 9 presents the certificate of node 4") });
    const silent = decodeHello(body(dialerHello({ ...plain, nodeId: 9 }).frame));
    expect(answerHello(plain, silent, () => false, 9)).toEqual({ kind: "refuse", reason: expect.stringContaining("advertises no address") });
  });

  test("the dialer refuses a listener that is untrusted or names another node", () => {
    expect(checkListenerTls(3, { ok: true, certId: 3 })).toBeNull();
    expect(checkListenerTls(3, { ok: true, certId: 2 })).toBe("the listener dialed as node 3 presents the certificate of node 2");
    expect(checkListenerTls(3, { ok: false, reason: "the peer's certificate is not trusted: x" })).toBe("node 3: the peer's certificate is not trusted: x");
  });

  test("the TLS verdict: an authorizationError refuses even when Bun reports success", () => {
    const cert = { subject: { CN: "yakt-node-4" } };
    expect(tlsOutcome(true, null, cert)).toEqual({ ok: true, certId: 4 });
    expect(tlsOutcome(true, new Error("unable to verify the first certificate"), cert)).toEqual({ ok: false, reason: "the peer's certificate is not trusted: unable to verify the first certificate" });
    expect(tlsOutcome(false, null, cert).ok).toBe(false);
  });
});
