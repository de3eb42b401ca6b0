// Every decision of the peer handshake, for both roles, in one place; the connections only carry
// its frames. Each Hello carries its sender's advertised address: a listener lets in an id outside
// its peer list when it gives one (the transport then learns that peer, see learned-peers.ts). With peer TLS both sides first finish the TLS handshake and judge the other's
// certificate (CA and node id). Dialer: hello → (ack: check it, prove) → connected. Listener:
// hello → refuse, or ack (and, with a peer secret, wait for the dialer's proof) → accepted. Frames
// are encoded here with the handshake cap, since they are what a connection may send before it is
// trusted.
import type { NodeId } from "../raft/types.ts";
import { encodeFrame, FrameKind } from "./frame.ts";
import { encodeHello, encodeProof, encodeRefusal, Feature, foundersMismatch, HANDSHAKE_VERSION, helloMismatch, MAX_HANDSHAKE_FRAME_BYTES, unsupported } from "./handshake-codec.ts";
import type { Hello } from "./handshake-codec.ts";
import type { LinkContext } from "./link-context.ts";
import { handshakeMac, macMatches, newNonce } from "./peer-auth.ts";
import type { HandshakeTranscript } from "./peer-auth.ts";
import type { TlsOutcome } from "./peer-tls.ts";

type HandshakeContext = Pick<LinkContext, "nodeId" | "clusterId" | "secret" | "advertised" | "founders">;

const NO_MAC = new Uint8Array(0);

function features(ctx: HandshakeContext): number {
  return ctx.secret === null ? 0 : Feature.SharedSecret;
}

function helloFrame(kind: FrameKind, hello: Hello): Uint8Array {
  return encodeFrame(kind, [encodeHello(hello)], MAX_HANDSHAKE_FRAME_BYTES);
}

export function refusalFrame(reason: string): Uint8Array {
  return encodeFrame(FrameKind.HandshakeRefuse, [encodeRefusal(reason)], MAX_HANDSHAKE_FRAME_BYTES);
}

// ---- dialer ----

/** After TLS: why the listener is not the peer this link dials (untrusted, or another node's certificate), else null. */
export function checkListenerTls(expected: NodeId, outcome: TlsOutcome): string | null {
  if (!outcome.ok) return `node ${expected}: ${outcome.reason}`;
  if (outcome.certId !== expected) return `the listener dialed as node ${expected} presents the certificate of node ${outcome.certId}`;
  return null;
}

/** The dialer's opening frame, and the nonce the listener's proof must cover. */
export function dialerHello(ctx: HandshakeContext): { frame: Uint8Array; nonce: Uint8Array } {
  const nonce = newNonce();
  const hello = { version: HANDSHAKE_VERSION, features: features(ctx), clusterId: ctx.clusterId, nodeId: ctx.nodeId, address: ctx.advertised(), nonce, mac: NO_MAC, founders: ctx.founders };
  return { frame: helloFrame(FrameKind.Handshake, hello), nonce };
}

/**
 * The listener's ack, checked: `mismatch` says why it is not the peer meant (or not trusted), else
 * null; `proof` is the frame to send first when a secret is in use (sent even when the listener's
 * own proof fails, so its log says why too).
 */
export function checkAck(ctx: HandshakeContext, expected: NodeId, nonce: Uint8Array, ack: Hello): { mismatch: string | null; proof: Uint8Array | null } {
  const mismatch = helloMismatch(ack, ctx.clusterId, expected) ?? foundersMismatch(ctx.founders, ctx.nodeId, ack.founders, ack.nodeId);
  if (mismatch !== null) return { mismatch, proof: null };
  const offered = (ack.features & Feature.SharedSecret) !== 0;
  const secret = ctx.secret;
  if (secret === null) {
    return { mismatch: offered ? `node ${expected} requires a peer secret and this node has none (--peer-secret-file)` : null, proof: null };
  }
  if (!offered) return { mismatch: `node ${expected} does not prove the cluster's peer secret (it has none configured)`, proof: null };
  const t = { clusterId: ctx.clusterId, dialerId: ctx.nodeId, listenerId: expected, dialerNonce: nonce, listenerNonce: ack.nonce };
  const proof = encodeFrame(FrameKind.HandshakeProof, [encodeProof(handshakeMac(secret, "dialer", t))], MAX_HANDSHAKE_FRAME_BYTES);
  const trusted = macMatches(secret, "listener", t, ack.mac);
  return { mismatch: trusted ? null : `node ${expected} did not prove the cluster's peer secret (the secrets differ)`, proof };
}

// ---- listener ----

export type HelloAnswer =
  | { kind: "refuse"; reason: string }
  /** Send `ack`; with `transcript` the dialer still owes its proof, else it is accepted as `peerId`. */
  | { kind: "ack"; ack: Uint8Array; peerId: NodeId; transcript: HandshakeTranscript | null };

/** `certId`: with peer TLS, the node id the dialer's certificate names (null without TLS). */
export function answerHello(ctx: HandshakeContext, hello: Hello, isPeer: (id: NodeId) => boolean, certId: NodeId | null): HelloAnswer {
  const reason = refusalReason(ctx, hello, isPeer) ?? certMismatch(hello, certId);
  if (reason !== null) return { kind: "refuse", reason };
  const nonce = newNonce();
  const secret = ctx.secret;
  const transcript = secret === null ? null : { clusterId: ctx.clusterId, dialerId: hello.nodeId, listenerId: ctx.nodeId, dialerNonce: hello.nonce, listenerNonce: nonce };
  const mac = secret === null || transcript === null ? NO_MAC : handshakeMac(secret, "listener", transcript);
  const ack = helloFrame(FrameKind.HandshakeAck, { version: HANDSHAKE_VERSION, features: features(ctx), clusterId: ctx.clusterId, nodeId: ctx.nodeId, address: ctx.advertised(), nonce, mac, founders: ctx.founders });
  return { kind: "ack", ack, peerId: hello.nodeId, transcript };
}

/** Why the dialer's proof does not hold, or null when it does. */
export function checkProof(ctx: HandshakeContext, t: HandshakeTranscript, mac: Uint8Array): string | null {
  if (ctx.secret === null) return "a handshake proof arrived that nobody asked for";
  if (macMatches(ctx.secret, "dialer", t, mac)) return null;
  return `node ${t.dialerId} did not prove the cluster's peer secret (the secrets differ)`;
}

function certMismatch(hello: Hello, certId: NodeId | null): string | null {
  if (certId === null || hello.nodeId === certId) return null;
  return `node ${hello.nodeId} presents the certificate of node ${certId}: a peer may only claim the id its certificate names`;
}

function refusalReason(ctx: HandshakeContext, hello: Hello, isPeer: (id: NodeId) => boolean): string | null {
  const why = unsupported(hello);
  if (why !== null) return why;
  if (hello.clusterId !== ctx.clusterId) {
    return `cluster id ${JSON.stringify(hello.clusterId)} is not this cluster's ${JSON.stringify(ctx.clusterId)}`;
  }
  if (hello.nodeId === ctx.nodeId) return `node id ${hello.nodeId} is this node's own id`;
  const founders = foundersMismatch(ctx.founders, ctx.nodeId, hello.founders, hello.nodeId);
  if (founders !== null) return founders;
  // An unknown id that says where it listens is let in as a learned peer (a leader this node's log
  // has not reached yet); without an address there would be no way to answer it.
  if (!isPeer(hello.nodeId) && hello.address === "") {
    return `node id ${hello.nodeId} is not in the peer list of node ${ctx.nodeId} and advertises no address to reach it at`;
  }
  const offersSecret = (hello.features & Feature.SharedSecret) !== 0;
  if (ctx.secret !== null && !offersSecret) {
    return `node ${ctx.nodeId} requires the cluster's peer secret and node ${hello.nodeId} offers none (--peer-secret-file)`;
  }
  if (ctx.secret === null && offersSecret) {
    return `node ${hello.nodeId} offers a peer secret but node ${ctx.nodeId} has none configured (--peer-secret-file)`;
  }
  return null;
}
