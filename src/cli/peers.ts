// The --peers list: "1@10.0.0.1:9091,2@10.0.0.2:9091,…" — every voter of the initial cluster.
// Ids and addresses are checked by the one checker (src/raft/peer-address.ts).
import { parseMemberSpec, parseNodeId as checkNodeIdText } from "../raft/peer-address.ts";
import type { NodeId } from "../raft/types.ts";
import { UsageError } from "./cli-errors.ts";

/** Bound on the list: single-server changes make larger voter sets pointless here. */
export const MAX_PEERS = 64;

/** A list of id@host:port members (--peers, recover --voters): ids and addresses each listed once. */
export function parsePeers(text: string, flag = "--peers"): Map<NodeId, string> {
  const items = text.split(",").map((s) => s.trim());
  if (items.length > MAX_PEERS) throw new UsageError(`${flag}: at most ${MAX_PEERS} entries, got ${items.length}`);
  const peers = new Map<NodeId, string>();
  for (const item of items) {
    const parsed = parseMemberSpec(item);
    if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.message}`);
    const { id, address } = parsed.value;
    if (peers.has(id)) throw new UsageError(`${flag}: node id ${id} is listed twice`);
    if ([...peers.values()].includes(address.address)) throw new UsageError(`${flag}: address ${address.address} is listed twice`);
    peers.set(id, address.address);
  }
  return peers;
}

export function parseNodeId(flag: string, text: string): NodeId {
  const parsed = checkNodeIdText(text);
  if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.message}`);
  return parsed.value;
}
