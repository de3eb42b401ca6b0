// Parsing of command arguments. Each parser names the argument and the bad value in its error.
import { ArgumentError } from "./errors.ts";
import { printable } from "./text.ts";

const show = (value: string) => `"${printable(value, 60)}"`;

/** A node or broker id: a positive integer. */
export function parseId(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new ArgumentError(`${name} must be a positive integer, got ${show(value)}`);
  }
  return Number(value);
}

/** An integer in [min, max]. */
export function parseBoundedInt(name: string, value: string, min: number, max: number): number {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new ArgumentError(`${name} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return n;
}

export interface VoterAddress {
  id: number;
  /** "host:port" as the transport dials it. */
  address: string;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `<id>@<host>:<port>`; an IPv6 host goes in brackets: `4@[::1]:9093`. */
export function parseVoterAddress(value: string): VoterAddress {
  const at = value.indexOf("@");
  const colon = value.lastIndexOf(":");
  if (at < 1 || colon < at + 2 || colon === value.length - 1) {
    throw new ArgumentError(`voter must look like <id>@<host>:<port>, got ${show(value)}`);
  }
  const id = parseId("voter id", value.slice(0, at));
  const host = value.slice(at + 1, colon);
  const port = parseBoundedInt("voter port", value.slice(colon + 1), 1, 65535);
  const bracketed = /^\[[0-9A-Fa-f:.]+\]$/.test(host);
  if (!bracketed && (host.length > 253 || !HOST.test(host))) {
    throw new ArgumentError(`voter host must be a host name, an IPv4 address or [IPv6], got ${show(host)}`);
  }
  return { id, address: `${host}:${port}` };
}
