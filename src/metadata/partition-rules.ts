// The controller's partition commands checked against the image and turned into PartitionRecords:
// AlterPartition (ISR changes from the leader), reassignment start and cancel, preferred leader
// election of one partition, and the controller's reconcile batches (failover, recovery,
// preferred). The state transitions themselves are in partition-change.ts.
import { type ApplyResult, accepted, rejected } from "./apply-result.ts";
import type {
  AlterPartitionCommand,
  CancelReassignmentCommand,
  Command,
  ElectLeaderCommand,
  ReassignPartitionCommand,
  ReconcilePartitionsCommand,
} from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { MAX_REPLICAS } from "./limits.ts";
import {
  type Eligible,
  type PartitionUpdate,
  cancelReassignment,
  changedRecord,
  completeReassignment,
  merge,
  reconcile,
  startReassignment,
} from "./partition-change.ts";
import { ACTIVE_STATUSES, type PartitionRecord } from "./records.ts";

/**
 * Active brokers may lead and stay in ISRs; `shuttingDown` (controlled shutdown) may not. Each
 * broker is looked up once per use (a batch asks about the same few brokers thousands of times).
 */
export function eligibility(image: MetadataImage, shuttingDown: readonly number[] = []): Eligible {
  const known = new Map<number, boolean>();
  return (id) => {
    let ok = known.get(id);
    if (ok === undefined) {
      ok = !shuttingDown.includes(id) && isActive(image, id);
      known.set(id, ok);
    }
    return ok;
  };
}

function isActive(image: MetadataImage, id: number): boolean {
  const status = image.broker(id)?.fields.brokerStatus;
  return status !== undefined && ACTIVE_STATUSES.includes(status);
}

type Located = { ok: true; partition: PartitionRecord; where: string } | { ok: false; result: ApplyResult };

/** The partition a command names by topic name and id, or a not_found rejection. */
function locate(image: MetadataImage, topicName: string, partitionId: number): Located {
  const topic = image.topicByName(topicName);
  if (!topic) return { ok: false, result: rejected("not_found", `topic ${JSON.stringify(topicName)} does not exist`) };
  const where = `partition ${partitionId} of topic ${JSON.stringify(topicName)}`;
  const partition = image.partition(topic.fields.topicUUID, partitionId);
  if (!partition) return { ok: false, result: rejected("not_found", `${where} does not exist`) };
  return { ok: true, partition, where };
}

/** One changed record, or no record when the partition is already in that state. */
function single(partition: PartitionRecord, update: PartitionUpdate, offset: number, timestamp: string): ApplyResult {
  const record = changedRecord(partition, update, offset, timestamp);
  return accepted(record ? [record] : []);
}

/**
 * The answer of a one-partition change that wrote no record (it was already in effect: an
 * election of the leader there is, a reassignment to the replicas there are): the partition as it
 * stands after the entry, or null for any other command or outcome. The state machine answers and
 * remembers this record, so a retry under the same request id gets the very answer the first call
 * got, not the partition as it is by then.
 */
export function unchangedPartitionAnswer(image: MetadataImage, command: Command, result: ApplyResult): ApplyResult | null {
  if (!result.ok || result.records.length > 0) return null;
  switch (command.kind) {
    case "alterPartition":
    case "reassignPartition":
    case "cancelReassignment":
    case "electLeader": {
      const topic = image.topicByName(command.topicName);
      const partition = topic && image.partition(topic.fields.topicUUID, command.partitionId);
      return partition ? accepted([partition]) : null;
    }
    default:
      return null;
  }
}

export function planAlterPartition(image: MetadataImage, cmd: AlterPartitionCommand, offset: number): ApplyResult {
  const found = locate(image, cmd.topicName, cmd.partitionId);
  if (!found.ok) return found.result;
  const { partition, where } = found;
  const f = partition.fields;
  if (cmd.partitionEpoch !== f.partitionEpoch) {
    return rejected("stale_partition_epoch", `${where} is at partition epoch ${f.partitionEpoch}, not ${cmd.partitionEpoch}`);
  }
  if (String(cmd.brokerId) !== f.leader) return rejected("not_partition_leader", `broker ${cmd.brokerId} is not the leader of ${where} (the leader is ${f.leader})`);
  const problem = isrProblem(image, f.replicas, cmd.ISR, cmd.brokerId);
  if (problem) return rejected("invalid", `${where}: ${problem}`);
  const eligible = eligibility(image);
  const altered = merge(f, { ISR: cmd.ISR });
  // An ISR that now holds every target replica completes a reassignment in the same record.
  return single(partition, { ISR: cmd.ISR, ...completeReassignment(altered, eligible) }, offset, cmd.timestamp);
}

/** The ISR must be a duplicate-free subset of the replicas, hold the leader, and name only active brokers. */
function isrProblem(image: MetadataImage, replicas: readonly number[], isr: readonly number[], leader: number): string | null {
  if (new Set(isr).size !== isr.length) return `ISR [${isr}] lists a broker twice`;
  const stranger = isr.find((id) => !replicas.includes(id));
  if (stranger !== undefined) return `ISR broker ${stranger} is not among the replicas [${replicas}]`;
  if (!isr.includes(leader)) return `ISR [${isr}] does not hold the leader ${leader}`;
  const inactive = isr.find((id) => !isActive(image, id));
  if (inactive !== undefined) return `ISR broker ${inactive} is ${image.broker(inactive)?.fields.brokerStatus ?? "not registered"}, not active`;
  return null;
}

export function planReassignPartition(image: MetadataImage, cmd: ReassignPartitionCommand, offset: number): ApplyResult {
  const found = locate(image, cmd.topicName, cmd.partitionId);
  if (!found.ok) return found.result;
  const { partition, where } = found;
  const f = partition.fields;
  if (f.addingReplicas.length > 0 || f.removingReplicas.length > 0) {
    return rejected("conflict", `${where} is being reassigned (adding [${f.addingReplicas}], removing [${f.removingReplicas}]); cancel it first`);
  }
  const problem = targetProblem(image, cmd.replicas, f.replicas);
  if (problem) return rejected("invalid", `${where}: ${problem}`);
  const start = startReassignment(f, cmd.replicas);
  // A target already wholly in the ISR (a reorder, or only removals) completes at once.
  const completed = completeReassignment(merge(f, start), eligibility(image));
  return single(partition, { ...start, ...completed }, offset, cmd.timestamp);
}

/** A target: non-empty, no broker twice, registered non-CLOSED brokers, within the replica bound. */
function targetProblem(image: MetadataImage, target: readonly number[], current: readonly number[]): string | null {
  if (target.length === 0) return "replicas is empty";
  if (new Set(target).size !== target.length) return `replicas [${target}] lists a broker twice`;
  for (const id of target) {
    const status = image.broker(id)?.fields.brokerStatus;
    if (status === undefined) return `replica broker ${id} is not registered`;
    if (status === "CLOSED") return `replica broker ${id} is CLOSED`;
  }
  const union = new Set([...target, ...current]).size;
  if (union > MAX_REPLICAS) return `the target and current replicas together name ${union} brokers, over the limit of ${MAX_REPLICAS}`;
  return null;
}

export function planCancelReassignment(image: MetadataImage, cmd: CancelReassignmentCommand, offset: number): ApplyResult {
  const found = locate(image, cmd.topicName, cmd.partitionId);
  if (!found.ok) return found.result;
  const { partition, where } = found;
  const f = partition.fields;
  if (f.addingReplicas.length === 0 && f.removingReplicas.length === 0) return rejected("conflict", `${where} has no reassignment in progress`);
  const reverted = cancelReassignment(f, eligibility(image));
  if (reverted === null) return rejected("conflict", `cancelling the reassignment of ${where} would empty its ISR [${f.ISR}]`);
  return single(partition, reverted, offset, cmd.timestamp);
}

export function planElectLeader(image: MetadataImage, cmd: ElectLeaderCommand, offset: number): ApplyResult {
  const found = locate(image, cmd.topicName, cmd.partitionId);
  if (!found.ok) return found.result;
  const { partition, where } = found;
  const f = partition.fields;
  const preferred = f.replicas[0];
  if (!f.ISR.includes(preferred)) return rejected("conflict", `${where}: preferred replica ${preferred} is not in the ISR [${f.ISR}]`);
  if (!isActive(image, preferred)) return rejected("conflict", `${where}: preferred replica ${preferred} is ${image.broker(preferred)?.fields.brokerStatus}, not active`);
  return single(partition, { leader: String(preferred) }, offset, cmd.timestamp);
}

export function planReconcilePartitions(image: MetadataImage, cmd: ReconcilePartitionsCommand, offset: number): ApplyResult {
  const eligible = eligibility(image, cmd.shuttingDown);
  const preferred = cmd.mode === "preferred";
  const records: PartitionRecord[] = [];
  const seen = new Set<string>();
  for (const ref of cmd.partitions) {
    const key = `${ref.topicUUID}/${ref.partitionId}`;
    const partition = image.partition(ref.topicUUID, ref.partitionId);
    // A partition named twice would get two records at one offset; gone ones are skipped.
    if (partition === undefined || seen.has(key)) continue;
    seen.add(key);
    const record = changedRecord(partition, reconcile(partition.fields, eligible, preferred), offset, cmd.timestamp);
    if (record) records.push(record);
  }
  return accepted(records);
}
