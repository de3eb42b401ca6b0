// Checks of what callers hand the transport, so bad input fails at once with the offending value.
import type { NodeId } from "../raft/types.ts";
import { checkNodeId as checkId } from "../raft/peer-address.ts";
import { parseAddress } from "./address.ts";
import type { HostPort } from "./address.ts";
import { TransportError } from "./errors.ts";
import { MAX_CLUSTER_ID_BYTES } from "./handshake-codec.ts";
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES } from "./peer-auth.ts";
import type { PeerTlsMaterial } from "./peer-tls.ts";
import type { TransportOptions } from "./transport-types.ts";

export function checkNodeId(id: NodeId, what: string): void {
  const checked = checkId(id);
  if (!checked.ok) throw new TransportError("invalid", `${what}: ${checked.message}`);
}

export function checkOptions(opts: TransportOptions): void {
  const idBytes = typeof opts.clusterId === "string" ? new TextEncoder().encode(opts.clusterId).length : -1;
  if (idBytes < 1 || idBytes > MAX_CLUSTER_ID_BYTES) {
    const got = JSON.stringify(opts.clusterId);
    throw new TransportError("invalid", `clusterId must be 1 to ${MAX_CLUSTER_ID_BYTES} bytes of text, got ${got}`);
  }
  checkNodeId(opts.nodeId, "nodeId");
  if (!Number.isInteger(opts.listenPort) || opts.listenPort < 0 || opts.listenPort > 65_535) {
    throw new TransportError("invalid", `listenPort must be an integer in [0, 65535], got ${String(opts.listenPort)}`);
  }
  if (typeof opts.listenHost !== "string" || opts.listenHost.length === 0) {
    throw new TransportError("invalid", `listenHost must be a host name or IP, got ${JSON.stringify(opts.listenHost)}`);
  }
  checkSecret(opts.secret);
  if (opts.tls !== undefined && opts.tls !== null) checkTlsMaterial(opts.tls);
}

/** PEM text for each part; the TLS library judges the contents when a listener or dial uses them. */
export function checkTlsMaterial(tls: PeerTlsMaterial): void {
  for (const part of ["cert", "key", "ca"] as const) {
    const pem = tls[part];
    if (typeof pem !== "string" || !pem.includes("-----BEGIN ")) {
      throw new TransportError("invalid", `peer TLS ${part} must be PEM text, got ${typeof pem === "string" ? `${pem.length} characters without a PEM header` : typeof pem}`);
    }
  }
}

function checkSecret(secret: Uint8Array | null | undefined): void {
  if (secret === undefined || secret === null) return;
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
    throw new TransportError("invalid", `peer secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, got ${got}`);
  }
}

/** Parse a whole peer map (own id dropped) before anything uses it: one bad entry rejects all. */
export interface PeerAddress {
  address: string;
  target: HostPort;
}

export function parsePeers(peers: Map<NodeId, string>, self: NodeId): Map<NodeId, PeerAddress> {
  if (!(peers instanceof Map)) throw new TransportError("invalid", `peers must be a Map of id to "host:port"`);
  const parsed = new Map<NodeId, PeerAddress>();
  for (const [id, address] of peers) {
    checkNodeId(id, "peer id");
    const target = parseAddress(address);
    if (id !== self) parsed.set(id, { address, target });
  }
  return parsed;
}
