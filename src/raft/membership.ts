// Membership helpers: who votes, who learns, and the single-server changes of ConfChange.
import { checkNodeId } from "./peer-address.ts";
import { validBindings, withoutBinding } from "./directory-ids.ts";
import type { ConfChange, Membership, NodeId } from "./types.ts";

export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id);
}

export function isLearner(m: Membership, id: NodeId): boolean {
  return m.learners.includes(id);
}

export function isMember(m: Membership, id: NodeId): boolean {
  return isVoter(m, id) || isLearner(m, id);
}

export function members(m: Membership): NodeId[] {
  return [...m.voters, ...m.learners];
}

/**
 * A deep-frozen copy: the core hands its current membership out by reference (status() runs after
 * every event in the simulator and on every Ready in the runtime), so nobody may change it.
 */
export function frozenMembership(m: Membership): Membership {
  const copy = cloneMembership(m);
  Object.freeze(copy.voters);
  Object.freeze(copy.learners);
  Object.freeze(copy.addresses);
  if (copy.directoryIds !== undefined) Object.freeze(copy.directoryIds);
  return Object.freeze(copy);
}

export function cloneMembership(m: Membership): Membership {
  const copy: Membership = { voters: [...m.voters], learners: [...m.learners], addresses: { ...m.addresses } };
  if (m.directoryIds !== undefined) copy.directoryIds = { ...m.directoryIds };
  return copy;
}

function isNodeId(x: unknown): x is NodeId {
  return checkNodeId(x).ok;
}

/** A membership from the wire or a log entry: positive ids, no duplicates, voters and learners disjoint. */
export function isValidMembership(m: unknown): m is Membership {
  if (typeof m !== "object" || m === null) return false;
  const { voters, learners, addresses } = m as Membership;
  if (!Array.isArray(voters) || !Array.isArray(learners)) return false;
  if (typeof addresses !== "object" || addresses === null) return false;
  const all = [...voters, ...learners];
  return all.every(isNodeId) && new Set(all).size === all.length && validBindings(m as Membership, all);
}

export type ConfChangeOutcome = { ok: true; membership: Membership } | { ok: false; message: string };

/** The membership after one single-server change, or why the change is not allowed. */
export function applyConfChange(m: Membership, cc: ConfChange): ConfChangeOutcome {
  const id = checkNodeId(cc.id);
  if (!id.ok) return { ok: false, message: id.message };
  const next = cloneMembership(m);
  switch (cc.type) {
    case "addVoter":
      if (isVoter(m, cc.id)) return { ok: false, message: `node ${cc.id} is already a voter` };
      if (typeof cc.address !== "string" || cc.address === "") return { ok: false, message: `node ${cc.id} needs an address` };
      next.learners = next.learners.filter((id) => id !== cc.id);
      next.voters.push(cc.id);
      next.addresses[String(cc.id)] = cc.address;
      return { ok: true, membership: next };
    case "addLearner":
      if (isMember(m, cc.id)) return { ok: false, message: `node ${cc.id} is already a member` };
      if (typeof cc.address !== "string" || cc.address === "") return { ok: false, message: `node ${cc.id} needs an address` };
      next.learners.push(cc.id);
      next.addresses[String(cc.id)] = cc.address;
      return { ok: true, membership: next };
    case "removeNode":
      if (!isMember(m, cc.id)) return { ok: false, message: `node ${cc.id} is not a member` };
      if (m.voters.length === 1 && isVoter(m, cc.id)) return { ok: false, message: `node ${cc.id} is the last voter` };
      next.voters = next.voters.filter((id) => id !== cc.id);
      next.learners = next.learners.filter((id) => id !== cc.id);
      delete next.addresses[String(cc.id)];
      return { ok: true, membership: withoutBinding(next, cc.id) };
    default:
      return { ok: false, message: `unknown membership change ${JSON.stringify(cc)}` };
  }
}
