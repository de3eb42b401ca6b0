// The shared-secret proof of the peer handshake: each side sends a fresh random nonce, and each
// proves it holds the cluster's peer secret with an HMAC-SHA-256 over both nonces, the cluster id,
// both node ids and its role. The role label keeps one side's MAC from being replayed as the
// other's (reflection), the nonces keep an old handshake from being replayed, and MACs are
// compared in constant time. The secret itself never crosses the wire.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { NodeId } from "../raft/types.ts";
import { MAC_BYTES, NONCE_BYTES } from "./handshake-codec.ts";

export type HandshakeRole = "dialer" | "listener";

/** What both sides of one handshake MAC over. */
export interface HandshakeTranscript {
  clusterId: string;
  dialerId: NodeId;
  listenerId: NodeId;
  dialerNonce: Uint8Array;
  listenerNonce: Uint8Array;
}

/** Bounds on a peer secret: short ones are guessable, long ones are a mistake (a wrong file). */
export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 4096;

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export function handshakeMac(secret: Uint8Array, role: HandshakeRole, t: HandshakeTranscript): Uint8Array {
  const h = createHmac("sha256", secret);
  h.update(`yakt-peer-handshake-v2\0${role}\0${t.clusterId}\0${t.dialerId}\0${t.listenerId}\0`);
  h.update(t.dialerNonce);
  h.update(t.listenerNonce);
  const mac = new Uint8Array(h.digest());
  if (mac.length !== MAC_BYTES) throw new Error(`HMAC-SHA-256 gave ${mac.length} bytes, expected ${MAC_BYTES}`);
  return mac;
}

/** Constant time in the MAC's bytes; a MAC of the wrong length is simply wrong. */
export function macMatches(secret: Uint8Array, role: HandshakeRole, t: HandshakeTranscript, mac: Uint8Array): boolean {
  const expected = handshakeMac(secret, role, t);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
