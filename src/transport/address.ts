// Peer addresses as the membership carries them: "host:port", IPv6 hosts in brackets ("[::1]:9093"),
// checked by the one peer-address checker (src/raft/peer-address.ts).
import { parsePeerAddress } from "../raft/peer-address.ts";
import type { NodeId } from "../raft/types.ts";
import { TransportError } from "./errors.ts";

export interface HostPort {
  host: string;
  port: number;
}

/**
 * The address this node advertises in its handshakes: its own entry of the peer map, or "" when it
 * has none or names an unspecified host (0.0.0.0 or [::] is where it listens, not where to dial it).
 */
export function advertisedAddress(peers: Map<NodeId, string>, self: NodeId): string {
  const own = peers.get(self);
  if (own === undefined) return "";
  const parsed = parsePeerAddress(own);
  if (!parsed.ok || UNSPECIFIED_HOSTS.has(parsed.value.host)) return "";
  return parsed.value.address;
}

const UNSPECIFIED_HOSTS = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);

export function parseAddress(address: string): HostPort {
  const parsed = parsePeerAddress(address);
  if (!parsed.ok) throw new TransportError("invalid", `peer address: ${parsed.message}`);
  return { host: parsed.value.host, port: parsed.value.port };
}
