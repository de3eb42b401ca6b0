// Directory ids (KIP-853): the quorum knows each member as (node id, directory id), so a node whose
// disk was wiped and formatted anew — same node id, new directory id, no vote and no log — is never
// counted as the member it replaced.
//
// Where the ids come from: a data dir's id is drawn at format time, but the initial voters of
// --peers are formatted independently, so nobody knows the others' ids up front (KRaft's static
// quorum has the same problem). The leader therefore binds each member's id in the replicated
// membership the first time it hears from it: one config entry per binding, one change at a time,
// like any membership change. From then on, every node whose log holds the binding drops
// messages from that node id carrying another directory id: its votes are not counted, its
// acknowledgements do not count toward commit or check-quorum, and it is not the voter the
// membership names. Removing the member drops its binding; added again, it is bound anew.
import type { Membership, NodeId } from "./types.ts";

/** Bound on a directory id's length (a UUID is 36 characters). */
export const MAX_DIRECTORY_ID_LENGTH = 64;

export function isDirectoryId(x: unknown): x is string {
  return typeof x === "string" && x.length <= MAX_DIRECTORY_ID_LENGTH;
}

/** The directory id the membership binds `id` to, or "" when it is not bound. */
export function boundDirectory(m: Membership, id: NodeId): string {
  const ids = m.directoryIds;
  return ids !== undefined && Object.hasOwn(ids, String(id)) ? ids[String(id)] : "";
}

/** Whether a node `id` presenting `directoryId` is the member the membership names (or is unbound). */
export function matchesBinding(m: Membership, id: NodeId, directoryId: string): boolean {
  const bound = boundDirectory(m, id);
  return bound === "" || bound === directoryId;
}

/** The membership with `id` bound to `directoryId`; the caller checks it is an unbound member. */
export function withBinding(m: Membership, id: NodeId, directoryId: string): Membership {
  return { ...m, directoryIds: { ...(m.directoryIds ?? {}), [String(id)]: directoryId } };
}

/** The membership without `id`'s binding (the member left; a node added again is bound anew). */
export function withoutBinding(m: Membership, id: NodeId): Membership {
  if (m.directoryIds === undefined || !Object.hasOwn(m.directoryIds, String(id))) return m;
  const directoryIds = { ...m.directoryIds };
  delete directoryIds[String(id)];
  return { ...m, directoryIds };
}

/** A membership's bindings are well formed: non-empty ids of bounded length, for members only. */
export function validBindings(m: Membership, memberIds: readonly NodeId[]): boolean {
  const ids = m.directoryIds;
  if (ids === undefined) return true;
  if (typeof ids !== "object" || ids === null || Array.isArray(ids)) return false;
  return Object.entries(ids).every(([k, v]) => isDirectoryId(v) && v !== "" && memberIds.includes(Number(k)) && String(Number(k)) === k);
}

/**
 * The next binding the leader should propose: itself first, then members it heard from, in id
 * order (deterministic). null when every member with a known directory id is bound.
 */
export function nextBinding(
  m: Membership,
  self: { id: NodeId; directoryId: string },
  observed: ReadonlyMap<NodeId, string>,
): { id: NodeId; directoryId: string } | null {
  const isMember = (id: NodeId) => m.voters.includes(id) || m.learners.includes(id);
  if (self.directoryId !== "" && isMember(self.id) && boundDirectory(m, self.id) === "") return self;
  const ids = [...observed.keys()].filter((id) => isMember(id) && boundDirectory(m, id) === "").sort((a, b) => a - b);
  return ids.length === 0 ? null : { id: ids[0], directoryId: observed.get(ids[0]) as string };
}
