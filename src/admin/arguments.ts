// Parsing of command arguments. Each parser names the argument and the bad value in its error.
import { parseMemberSpec, parseNodeId } from "../raft/peer-address.ts";
import { ArgumentError } from "./errors.ts";
import { printable } from "./text.ts";

const show = (value: string) => `"${printable(value, 60)}"`;

/** A broker id: a positive integer. (Node ids go through parseNodeIdArg, the cluster-wide rule.) */
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
  /** The canonical "host:port" the transport dials. */
  address: string;
}

/** A node id, by the one checker the CLI, REST and the transport use too. */
export function parseNodeIdArg(value: string): number {
  const parsed = parseNodeId(value);
  if (!parsed.ok) throw new ArgumentError(parsed.message);
  return parsed.value;
}

/** `<id>@<host>:<port>`; an IPv6 host goes in brackets: `4@[::1]:9093`. */
export function parseVoterAddress(value: string): VoterAddress {
  const parsed = parseMemberSpec(value);
  if (!parsed.ok) throw new ArgumentError(parsed.message);
  return { id: parsed.value.id, address: parsed.value.address.address };
}
