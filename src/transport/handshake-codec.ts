// Bodies of the handshake frames, version 3. The dialer introduces itself with a Hello (version,
// features, cluster id, node id, its advertised peer address, a fresh nonce); the listener answers
// with its own Hello (the ack; with the shared-secret feature it carries the listener's MAC over
// both nonces) or a refusal reason, then closes. With the shared secret the dialer then sends a
// Proof (its own MAC) before anything else. Every handshake frame fits in
// MAX_HANDSHAKE_FRAME_BYTES, the cap on any frame a connection may send before its handshake is done.
import { ByteReader } from "./byte-reader.ts";
import { ByteWriter } from "./byte-writer.ts";
import { DecodeError, EncodeError } from "./errors.ts";
import { parsePeerAddress } from "../raft/peer-address.ts";
import type { NodeId } from "../raft/types.ts";

/**
 * 1: no features, no nonce. 2: a features word, nonces, and the optional shared-secret proof.
 * 3: the sender's advertised peer address, so a listener can route back to a node it has never
 * heard of (a leader added after the listener's log ends: KIP-853's endpoint in the message).
 * 4: the voters the sender was first started with (none: not known), so two nodes first started
 * with different --peers never join (etcd derives its cluster id from the initial members alike).
 */
export const HANDSHAKE_VERSION = 4;
/** Feature bits of a Hello; a bit this node does not know is refused, not ignored. */
export const Feature = {
  /** Both sides prove knowledge of the cluster's peer secret (HMAC over both nonces). */
  SharedSecret: 1,
} as const;
const KNOWN_FEATURES = Feature.SharedSecret;
export const NONCE_BYTES = 32;
/** HMAC-SHA-256. */
export const MAC_BYTES = 32;
export const MAX_CLUSTER_ID_BYTES = 255;
/** The longest "host:port" the one peer-address parser accepts: a 253-character host name, ":", 5 digits. */
export const MAX_ADDRESS_BYTES = 259;
/** Refusal reasons are cut to this many characters: they are for logs, not for data. */
const MAX_REASON_CHARS = 240;
/** The most founding voters a Hello carries: --peers lists at most 64 nodes. */
export const MAX_FOUNDING_VOTERS = 64;
const MAX_HELLO_BYTES = 1 + 4 + 2 + MAX_CLUSTER_ID_BYTES + 4 + 2 + MAX_ADDRESS_BYTES + NONCE_BYTES + 1 + MAC_BYTES + 1 + 4 * MAX_FOUNDING_VOTERS;
const MAX_REFUSAL_BYTES = 2 + 4 * MAX_REASON_CHARS;
/** The largest frame (kind byte + body) of the handshake: what a connection may send before it is done. */
export const MAX_HANDSHAKE_FRAME_BYTES = 1 + Math.max(MAX_HELLO_BYTES, MAX_REFUSAL_BYTES, MAC_BYTES);

export interface Hello {
  version: number;
  features: number;
  clusterId: string;
  nodeId: NodeId;
  /** "host:port" where the other nodes dial the sender (its own membership entry), canonical; "" for none. */
  address: string;
  nonce: Uint8Array;
  /** Empty in the dialer's Hello; the listener's MAC in an ack with the shared-secret feature. */
  mac: Uint8Array;
  /** The voters the sender was first started with, ascending; empty when it does not know them. */
  founders: readonly NodeId[];
}

export function encodeHello(hello: Hello): Uint8Array {
  const w = new ByteWriter(MAX_HELLO_BYTES, 96);
  w.u8(hello.version, "handshake.version");
  w.u32(hello.features, "handshake.features");
  w.string(hello.clusterId, "handshake.clusterId");
  w.u32(hello.nodeId, "handshake.nodeId");
  const address = checkAddress(hello.address);
  if (address !== null) throw new EncodeError(address);
  w.string(hello.address, "handshake.address");
  w.raw(fixed(hello.nonce, NONCE_BYTES, "handshake.nonce"));
  w.u8(hello.mac.length, "handshake.mac.length");
  w.raw(hello.mac.length === 0 ? hello.mac : fixed(hello.mac, MAC_BYTES, "handshake.mac"));
  if (hello.founders.length > MAX_FOUNDING_VOTERS) throw new EncodeError(`handshake.founders: at most ${MAX_FOUNDING_VOTERS}, got ${hello.founders.length}`);
  w.u8(hello.founders.length, "handshake.founders.length");
  for (const id of hello.founders) w.u32(id, "handshake.founders");
  return w.finish();
}

/** Decodes the version first, so a peer of another version gets a refusal that says so. */
export function decodeHello(body: Uint8Array): Hello {
  const r = new ByteReader(body);
  const version = r.u8("handshake.version");
  if (version !== HANDSHAKE_VERSION) {
    return { version, features: 0, clusterId: "", nodeId: 0, address: "", nonce: new Uint8Array(0), mac: new Uint8Array(0), founders: [] };
  }
  const features = r.u32("handshake.features");
  const clusterId = r.string("handshake.clusterId");
  const nodeId = r.u32("handshake.nodeId");
  const address = r.string("handshake.address");
  const wrong = checkAddress(address);
  if (wrong !== null) throw new DecodeError(wrong);
  const nonce = r.fixed(NONCE_BYTES, "handshake.nonce");
  const macLength = r.u8("handshake.mac.length");
  if (macLength !== 0 && macLength !== MAC_BYTES) throw new DecodeError(`handshake.mac is ${macLength} bytes, expected 0 or ${MAC_BYTES}`);
  const mac = r.fixed(macLength, "handshake.mac");
  const founders = decodeFounders(r);
  r.end("the handshake");
  return { version, features, clusterId, nodeId, address, nonce, mac, founders };
}

function decodeFounders(r: ByteReader): NodeId[] {
  const n = r.u8("handshake.founders.length");
  if (n > MAX_FOUNDING_VOTERS) throw new DecodeError(`handshake.founders: at most ${MAX_FOUNDING_VOTERS}, got ${n}`);
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u32("handshake.founders");
    if (id === 0 || (i > 0 && id <= ids[i - 1])) throw new DecodeError(`handshake.founders must be positive ids in ascending order, got ${[...ids, id].join(",")}`);
    ids.push(id);
  }
  return ids;
}

/**
 * Why two nodes' founding voters show they were first started as different clusters, or null
 * (the same voters, or either side does not know its own: a joiner, or a store from before v4).
 */
export function foundersMismatch(ours: readonly NodeId[], ourId: NodeId, theirs: readonly NodeId[], theirId: NodeId): string | null {
  if (ours.length === 0 || theirs.length === 0) return null;
  if (ours.length === theirs.length && ours.every((id, i) => id === theirs[i])) return null;
  return (
    `node ${theirId} was first started with voters [${theirs.join(",")}], node ${ourId} with [${ours.join(",")}]: two clusters. ` +
    `Reformat the node whose first --peers were wrong and start it with the others' (README, "Running a cluster")`
  );
}

/** Why an advertised address is not "" or a canonical peer address of bounded length, or null. */
function checkAddress(address: string): string | null {
  if (typeof address !== "string") return `handshake.address must be text, got ${typeof address}`;
  if (address === "") return null;
  if (new TextEncoder().encode(address).length > MAX_ADDRESS_BYTES) return `handshake.address is longer than ${MAX_ADDRESS_BYTES} bytes`;
  const parsed = parsePeerAddress(address);
  if (!parsed.ok) return `handshake.address: ${parsed.message}`;
  if (parsed.value.address !== address) return `handshake.address ${JSON.stringify(address)} is not in its canonical form ${JSON.stringify(parsed.value.address)}`;
  return null;
}

/** Why a Hello's version or features cannot be spoken here, or null. */
export function unsupported(hello: Hello): string | null {
  if (hello.version !== HANDSHAKE_VERSION) {
    return `handshake version ${hello.version} is not the supported ${HANDSHAKE_VERSION} (a node of another version cannot join: run one version on every node)`;
  }
  const unknown = hello.features & ~KNOWN_FEATURES;
  if (unknown !== 0) return `handshake features 0x${unknown.toString(16)} are unknown to this node`;
  return null;
}

/** Why an ack does not come from the peer the dialer meant to reach, or null when it does. */
export function helloMismatch(hello: Hello, clusterId: string, expectedNodeId: NodeId): string | null {
  const why = unsupported(hello);
  if (why !== null) return why;
  if (hello.clusterId !== clusterId) {
    return `cluster id ${JSON.stringify(hello.clusterId)}, expected ${JSON.stringify(clusterId)}`;
  }
  if (hello.nodeId !== expectedNodeId) return `node id ${hello.nodeId} answered, expected ${expectedNodeId}`;
  return null;
}

export function encodeProof(mac: Uint8Array): Uint8Array {
  return fixed(mac, MAC_BYTES, "proof.mac").slice();
}

export function decodeProof(body: Uint8Array): Uint8Array {
  const r = new ByteReader(body);
  const mac = r.fixed(MAC_BYTES, "proof.mac");
  r.end("the proof");
  return mac;
}

export function encodeRefusal(reason: string): Uint8Array {
  const w = new ByteWriter(MAX_REFUSAL_BYTES, 64);
  w.string(reason.slice(0, MAX_REASON_CHARS), "refusal.reason");
  return w.finish();
}

export function decodeRefusal(body: Uint8Array): string {
  const r = new ByteReader(body);
  const reason = r.string("refusal.reason");
  r.end("the refusal");
  return reason;
}

function fixed(value: Uint8Array, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new EncodeError(`${field} must be ${length} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`);
  }
  return value;
}
