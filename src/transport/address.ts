// Peer addresses as the membership carries them: "host:port", IPv6 hosts in brackets ("[::1]:9093"),
// checked by the one peer-address checker (src/raft/peer-address.ts).
import { parsePeerAddress } from "../raft/peer-address.ts";
import { TransportError } from "./errors.ts";

export interface HostPort {
  host: string;
  port: number;
}

export function parseAddress(address: string): HostPort {
  const parsed = parsePeerAddress(address);
  if (!parsed.ok) throw new TransportError("invalid", `peer address: ${parsed.message}`);
  return { host: parsed.value.host, port: parsed.value.port };
}
