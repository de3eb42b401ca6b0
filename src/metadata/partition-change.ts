// A partition's next state, after KRaft's PartitionChangeBuilder: pure functions from the current
// PartitionRecord (and who is eligible to lead) to the next one. Every change carries the full new
// state with partitionEpoch + 1; leaderEpoch rises only when the leader changes. The invariants
// (ISR never empty, ISR ⊆ replicas, leader in the ISR or "-1", epochs only rise) are asserted on
// every record built here, so a rule that broke one fails loudly instead of being committed.
import { invariant } from "./invariant.ts";
import { NO_LEADER, type PartitionFields, type PartitionRecord } from "./records.ts";
import { sameIds } from "./replica-lists.ts";

/** Whether a broker may be leader or stay in an ISR: active and not shutting down. */
export type Eligible = (brokerId: number) => boolean;

/** The parts of a partition a change may set; the rest is kept. */
export type PartitionUpdate = Partial<Pick<PartitionFields, "replicas" | "ISR" | "addingReplicas" | "removingReplicas" | "leader">>;

/** The first replica, in replica order, that is in `isr` and eligible; else "-1" (no unclean election). */
export function electLeader(replicas: readonly number[], isr: readonly number[], eligible: Eligible): string {
  const chosen = replicas.find((id) => isr.includes(id) && eligible(id));
  return chosen === undefined ? NO_LEADER : String(chosen);
}

/** The ISR without ineligible members, except that it never empties: the leader (or first) stays. */
export function shrinkIsr(isr: number[], leader: string, eligible: Eligible): number[] {
  // The common case changes nothing: keep the (frozen) array itself, so comparing it is free.
  if (isr.every(eligible)) return isr;
  const kept = isr.filter(eligible);
  if (kept.length > 0) return kept;
  const current = isr.find((id) => String(id) === leader);
  return [current ?? isr[0]];
}

/**
 * Failover and recovery: ineligible brokers leave the ISR (never emptying it), and an ineligible or
 * missing leader is replaced by the first eligible ISR member in replica order. With `preferred`,
 * the first replica becomes leader when it is in the ISR and eligible (preferred leader election).
 */
export function reconcile(fields: PartitionFields, eligible: Eligible, preferred: boolean): PartitionUpdate {
  const isr = shrinkIsr(fields.ISR, fields.leader, eligible);
  const first = fields.replicas[0];
  if (preferred && isr.includes(first) && eligible(first)) return { ISR: isr, leader: String(first) };
  const current = Number(fields.leader);
  const keep = fields.leader !== NO_LEADER && isr.includes(current) && eligible(current);
  return { ISR: isr, leader: keep ? fields.leader : electLeader(fields.replicas, isr, eligible) };
}

/** The target of a reassignment in progress: the replicas that are not being removed. */
export function reassignmentTarget(fields: PartitionFields): number[] {
  return fields.replicas.filter((id) => !fields.removingReplicas.includes(id));
}

/**
 * Completes a reassignment once every target replica is in the ISR: replicas = target, the two
 * lists empty, removed replicas leave the ISR, a removed leader is replaced. Otherwise no change.
 */
export function completeReassignment(fields: PartitionFields, eligible: Eligible): PartitionUpdate {
  if (fields.addingReplicas.length === 0 && fields.removingReplicas.length === 0) return {};
  const target = reassignmentTarget(fields);
  if (!target.every((id) => fields.ISR.includes(id))) return {};
  const isr = fields.ISR.filter((id) => target.includes(id));
  const leaderStays = fields.leader !== NO_LEADER && isr.includes(Number(fields.leader));
  return { replicas: target, ISR: isr, addingReplicas: [], removingReplicas: [], leader: leaderStays ? fields.leader : electLeader(target, isr, eligible) };
}

/** Starts a reassignment to `target` (KRaft: replicas = target then the replicas being removed). */
export function startReassignment(fields: PartitionFields, target: readonly number[]): PartitionUpdate {
  const adding = target.filter((id) => !fields.replicas.includes(id));
  const removing = fields.replicas.filter((id) => !target.includes(id));
  return { replicas: [...target, ...removing], addingReplicas: adding, removingReplicas: removing };
}

/** Reverts a reassignment in progress: the adding replicas leave; null when the ISR would empty. */
export function cancelReassignment(fields: PartitionFields, eligible: Eligible): PartitionUpdate | null {
  const original = fields.replicas.filter((id) => !fields.addingReplicas.includes(id));
  const isr = fields.ISR.filter((id) => original.includes(id));
  if (isr.length === 0) return null;
  const leaderStays = fields.leader !== NO_LEADER && isr.includes(Number(fields.leader));
  return { replicas: original, ISR: isr, addingReplicas: [], removingReplicas: [], leader: leaderStays ? fields.leader : electLeader(original, isr, eligible) };
}

/** Applies `update` on top of `fields`; the merged state, not yet checked. */
export function merge(fields: PartitionFields, update: PartitionUpdate): PartitionFields {
  return { ...fields, ...update };
}

/**
 * The record of `current` changed by `update` at `offset`, or null when nothing would change.
 * Epochs: partitionEpoch + 1; leaderEpoch + 1 only when the leader differs.
 */
export function changedRecord(current: PartitionRecord, update: PartitionUpdate, offset: number, timestamp: string): PartitionRecord | null {
  const before = current.fields;
  const next = merge(before, update);
  if (sameState(before, next)) return null;
  const leaderEpoch = next.leader === before.leader ? before.leaderEpoch : before.leaderEpoch + 1;
  const fields: PartitionFields = { ...next, partitionEpoch: before.partitionEpoch + 1, leaderEpoch };
  checkPartitionState(fields);
  return { type: "metadata", name: "PartitionRecord", offset, timestamp, fields };
}

/** Whether `update` would change `fields` (cheaper than building the record: no copy, no checks). */
export function wouldChange(fields: PartitionFields, update: PartitionUpdate): boolean {
  if (update.leader !== undefined && update.leader !== fields.leader) return true;
  for (const key of LIST_KEYS) {
    const list = update[key];
    if (list !== undefined && !sameIds(fields[key], list)) return true;
  }
  return false;
}

const LIST_KEYS = ["replicas", "ISR", "addingReplicas", "removingReplicas"] as const;

/** The invariants every partition state built here keeps. */
export function checkPartitionState(f: PartitionFields): void {
  const where = () => `partition ${f.partitionId} of ${f.topicUUID}`;
  invariant(f.ISR.length > 0, () => `${where()}: the ISR is empty`);
  invariant(f.ISR.every((id) => f.replicas.includes(id)), () => `${where()}: ISR [${f.ISR}] is not within replicas [${f.replicas}]`);
  invariant(f.leader === NO_LEADER || f.ISR.includes(Number(f.leader)), () => `${where()}: leader ${f.leader} is not in the ISR [${f.ISR}]`);
  invariant(new Set(f.replicas).size === f.replicas.length, () => `${where()}: replicas [${f.replicas}] repeat a broker`);
  invariant(f.addingReplicas.every((id) => f.replicas.includes(id)), () => `${where()}: adding [${f.addingReplicas}] not within replicas`);
  invariant(f.removingReplicas.every((id) => f.replicas.includes(id)), () => `${where()}: removing [${f.removingReplicas}] not within replicas`);
  invariant(f.leaderEpoch >= 0 && f.partitionEpoch >= 0, () => `${where()}: negative epoch`);
}

function sameState(a: PartitionFields, b: PartitionFields): boolean {
  return (
    a.leader === b.leader &&
    sameIds(a.replicas, b.replicas) &&
    sameIds(a.ISR, b.ISR) &&
    sameIds(a.addingReplicas, b.addingReplicas) &&
    sameIds(a.removingReplicas, b.removingReplicas)
  );
}
