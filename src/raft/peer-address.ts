// The one checker for node ids and peer addresses ("host:port", IPv6 hosts in brackets) and for
// members written "id@host:port". The CLI, the console, the REST API, the runtime and the transport
// all wrap these, so a value is accepted or refused under the same rule everywhere. It lives beside
// the Membership type whose addresses it describes; the core itself never parses addresses (the
// simulator's members have symbolic ones), so nothing here touches the consensus rules.
import type { NodeId } from "./types.ts";

/** KRaft's node ids are non-negative int32s (0 is our "no node"); also fits the wire's u32. */
export const MAX_NODE_ID = 2_147_483_647;
/** RFC 1035: a host name is at most 253 characters. */
const MAX_HOST_CHARS = 253;
/** The longest IPv6 text form (with an embedded IPv4) is 45 characters. */
const MAX_IPV6_CHARS = 45;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export interface PeerAddress {
  /** Lower-case host, without brackets for IPv6. */
  host: string;
  port: number;
  /** The canonical "host:port" ("[::1]:9093"): what the membership stores and duplicates compare on. */
  address: string;
}

export interface MemberSpec {
  id: NodeId;
  address: PeerAddress;
}

const fail = <T>(message: string): Checked<T> => ({ ok: false, message });
const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/** A node id given as a number (REST bodies, the transport, the core's messages). */
export function checkNodeId(id: unknown): Checked<NodeId> {
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1 || id > MAX_NODE_ID) {
    return fail(`node id must be an integer from 1 to ${MAX_NODE_ID}, got ${typeof id === "string" ? quote(id) : String(id)}`);
  }
  return { ok: true, value: id };
}

/** A node id given as text: plain decimal digits only (no sign, exponent, spaces or leading zero). */
export function parseNodeId(text: string): Checked<NodeId> {
  if (typeof text !== "string" || !/^[1-9][0-9]{0,9}$/.test(text)) {
    return fail(`node id must be an integer from 1 to ${MAX_NODE_ID}, got ${typeof text === "string" ? quote(text) : String(text)}`);
  }
  return checkNodeId(Number(text));
}

/**
 * "host:port" with a host name, a dotted IPv4 address or a bracketed IPv6 address. `allowPortZero`
 * is for listen addresses (port 0: the OS picks); a peer is always dialled at a real port.
 */
export function parsePeerAddress(text: string, allowPortZero = false): Checked<PeerAddress> {
  if (typeof text !== "string") return fail(`peer address must be text "host:port", got ${String(text)}`);
  const colon = text.lastIndexOf(":");
  if (colon < 1 || text.length > MAX_HOST_CHARS + 8) return fail(`peer address must look like host:port, got ${quote(text)}`);
  const hostText = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const minPort = allowPortZero ? 0 : 1;
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= minPort && port <= 65_535)) {
    return fail(`port must be an integer from ${minPort} to 65535, got ${quote(portText)} in ${quote(text)}`);
  }
  const host = checkHost(hostText);
  if (!host.ok) return fail(`${host.message} in ${quote(text)}`);
  const shown = host.value.includes(":") ? `[${host.value}]` : host.value;
  return { ok: true, value: { host: host.value, port, address: `${shown}:${port}` } };
}

/** "id@host:port", as in --peers, add-voter and recover --voters. */
export function parseMemberSpec(text: string): Checked<MemberSpec> {
  const at = typeof text === "string" ? text.indexOf("@") : -1;
  if (at < 1) return fail(`member must look like <id>@<host>:<port>, got ${typeof text === "string" ? quote(text) : String(text)}`);
  const id = parseNodeId(text.slice(0, at));
  if (!id.ok) return id;
  const address = parsePeerAddress(text.slice(at + 1));
  if (!address.ok) return address;
  return { ok: true, value: { id: id.value, address: address.value } };
}

/** The canonical form of a stored address, or the address itself (lower-cased) if it does not parse. */
export function canonicalAddress(address: string): string {
  const parsed = parsePeerAddress(address, true);
  return parsed.ok ? parsed.value.address : address.toLowerCase();
}

function checkHost(text: string): Checked<string> {
  if (text.startsWith("[") || text.endsWith("]")) return checkIpv6(text);
  if (/^[0-9.]+$/.test(text)) return checkIpv4(text);
  return checkHostName(text);
}

function checkIpv4(text: string): Checked<string> {
  const parts = text.split(".");
  const octet = (p: string) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255;
  if (parts.length !== 4 || !parts.every(octet)) return fail(`host ${quote(text)} is not an IPv4 address (four numbers 0-255)`);
  return { ok: true, value: text };
}

function checkIpv6(text: string): Checked<string> {
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1).toLowerCase() : "";
  const groups = inner.split(":");
  const shape = inner.length >= 2 && inner.length <= MAX_IPV6_CHARS && /^[0-9a-f:.]+$/.test(inner);
  const compressions = inner.split("::").length - 1;
  const groupsOk = groups.length >= 3 && groups.length <= 8 && groups.every((g) => g.length <= 4 || g.includes("."));
  if (!shape || compressions > 1 || !groupsOk || (compressions === 0 && groups.length !== 8 && !inner.includes("."))) {
    return fail(`host ${quote(text)} is not a bracketed IPv6 address such as [::1]`);
  }
  return { ok: true, value: inner };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function checkHostName(text: string): Checked<string> {
  const host = text.toLowerCase();
  const labels = host.split(".");
  if (host.length === 0 || host.length > MAX_HOST_CHARS || !labels.every((l) => LABEL.test(l))) {
    return fail(`host ${quote(text)} is not a host name (labels of letters, digits and inner hyphens), an IPv4 address or [IPv6]`);
  }
  // RFC 3696 §2: a top-level label is never all-numeric, so "1.2.3.999" cannot pass as a name.
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return fail(`host ${quote(text)} is not a host name: its last label is all digits`);
  return { ok: true, value: host };
}
