// The --peers list: "1@10.0.0.1:9091,2@10.0.0.2:9091,…" — every voter of the initial cluster.
import type { NodeId } from "../raft/types.ts";
import { UsageError } from "./cli-errors.ts";
import { formatHostPort, parseHostPort } from "./host-port.ts";

/** Bound on the list: single-server changes make larger voter sets pointless here. */
export const MAX_PEERS = 64;

export function parsePeers(text: string): Map<NodeId, string> {
  const items = text.split(",").map((s) => s.trim());
  if (items.length > MAX_PEERS) throw new UsageError(`--peers: at most ${MAX_PEERS} entries, got ${items.length}`);
  const peers = new Map<NodeId, string>();
  for (const item of items) {
    const at = item.indexOf("@");
    if (at <= 0) throw new UsageError(`--peers: expected id@host:port, got "${item}"`);
    const id = parseNodeId("--peers", item.slice(0, at));
    if (peers.has(id)) throw new UsageError(`--peers: node id ${id} is listed twice`);
    const address = formatHostPort(parseHostPort("--peers", item.slice(at + 1)));
    if ([...peers.values()].includes(address)) throw new UsageError(`--peers: address ${address} is listed twice`);
    peers.set(id, address);
  }
  return peers;
}

export function parseNodeId(flag: string, text: string): NodeId {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag}: node id must be an integer 1..999999999, got "${text}"`);
  }
  return Number(text);
}
