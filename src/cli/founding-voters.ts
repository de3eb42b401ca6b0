// The voters a node was first started with. Kept in its data dir at its first start and sent in
// every peer handshake, where a peer first started with other voters is refused (both ways): an
// operator's typo in one node's --peers would otherwise let it lead a cluster of its own under the
// same cluster id, two leaders in one term, and its log would never again match the others'.
// etcd guards its bootstrap alike (its cluster id is a hash of the initial members).
import type { SqliteStorage } from "../storage/sqlite-storage.ts";
import type { NodeConfig } from "./node-config.ts";

/**
 * The founders to send: those the store keeps; else, at a first start (nothing written but the
 * identity) of a node among its own --peers, those peers' ids, kept from now on. A joiner (not in
 * its --peers), or a store first started before founders were kept, has none: not compared.
 */
export function foundingVoters(storage: SqliteStorage, config: Pick<NodeConfig, "nodeId" | "peers">): number[] {
  const kept = storage.foundingVoters();
  if (kept !== null) return kept;
  const voters = [...config.peers.keys()];
  if (!storage.pristine() || !voters.includes(config.nodeId)) return [];
  storage.recordFoundingVoters(voters);
  return storage.foundingVoters() ?? [];
}
