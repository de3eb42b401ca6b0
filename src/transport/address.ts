// Peer addresses as the membership carries them: "host:port", IPv6 hosts in brackets ("[::1]:9093").
import { TransportError } from "./errors.ts";

export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

export function parseAddress(address: string): HostPort {
  const match = typeof address === "string" ? HOST_PORT.exec(address) : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new TransportError(
      "invalid",
      `peer address must be "host:port" with a port in [1, 65535], got ${JSON.stringify(address)}`,
    );
  }
  return { host: match[1] ?? match[2]!, port };
}
