// "host:port" addresses of the command line ("[::1]:9091" for IPv6).
import { UsageError } from "./cli-errors.ts";

export interface HostPort {
  host: string;
  port: number;
}

const PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseHostPort(flag: string, text: string): HostPort {
  const m = PATTERN.exec(text);
  if (!m) throw new UsageError(`${flag}: expected host:port, got "${text}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`${flag}: port must be 0..65535, got ${port} in "${text}"`);
  const host = m[1].startsWith("[") ? m[1].slice(1, -1) : m[1];
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
