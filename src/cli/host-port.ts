// "host:port" addresses of the command line ("[::1]:9091" for IPv6), checked by the one peer-address
// checker (src/raft/peer-address.ts); listen addresses may name port 0 (the OS picks one).
import { parsePeerAddress } from "../raft/peer-address.ts";
import { UsageError } from "./cli-errors.ts";

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(flag: string, text: string): HostPort {
  const parsed = parsePeerAddress(text, true);
  if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.message}`);
  return { host: parsed.value.host, port: parsed.value.port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
