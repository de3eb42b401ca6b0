// Topic and partition creation, checked against the image. A topic's partitions are placed here,
// at apply time, so the placement sees exactly the brokers of this log position on every replica.
import { type ApplyResult, accepted, rejected } from "./apply-result.ts";
import type { CreatePartitionCommand, CreateTopicCommand } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { MAX_PARTITIONS, MAX_TOPICS } from "./limits.ts";
import { PlacementError, checkPlacement, placePartitions } from "./placement.ts";
import type { PlanMode } from "./planner.ts";
import type { MetadataRecord } from "./records.ts";
import { newPartition } from "./topic-changes.ts";
import { topicNameProblem } from "./topic-name.ts";

export function planCreateTopic(image: MetadataImage, cmd: CreateTopicCommand, offset: number, mode: PlanMode = "apply"): ApplyResult {
  const nameProblem = topicNameProblem(cmd.name);
  if (nameProblem) return rejected("invalid", nameProblem);
  if (image.topicByName(cmd.name)) return rejected("conflict", `topic ${JSON.stringify(cmd.name)} already exists`);
  const colliding = image.collidingName(cmd.name);
  if (colliding !== undefined) {
    return rejected("conflict", `topic ${JSON.stringify(cmd.name)} collides with existing topic ${JSON.stringify(colliding)} ('.' and '_' are interchangeable)`);
  }
  if (image.topicById(cmd.topicUUID)) return rejected("conflict", `topic UUID ${cmd.topicUUID} is already in use`);
  if (image.topicCount() >= MAX_TOPICS) return rejected("invalid", `cannot create topic ${JSON.stringify(cmd.name)}: the cluster already holds ${MAX_TOPICS} topics`);
  if (cmd.partitions === 0 && cmd.replicationFactor !== 0) {
    return rejected("invalid", `replicationFactor ${cmd.replicationFactor} given without partitions`);
  }
  if (image.partitionCount() + cmd.partitions > MAX_PARTITIONS) {
    return rejected("invalid", `${cmd.partitions} more partitions would exceed the cluster's limit of ${MAX_PARTITIONS}`);
  }
  const topic: MetadataRecord = { type: "metadata", name: "TopicRecord", offset, timestamp: cmd.timestamp, fields: { topicUUID: cmd.topicUUID, name: cmd.name } };
  if (cmd.partitions === 0) return accepted([topic]);
  try {
    const brokers = image.activeBrokers().map((b) => ({ brokerId: b.fields.brokerId, rackId: b.fields.rackId }));
    if (mode === "check") {
      checkPlacement(brokers.length, cmd.replicationFactor);
      return accepted([topic]);
    }
    const placed = placePartitions(brokers, cmd.partitions, cmd.replicationFactor, cmd.topicUUID);
    const partitions = placed.map((p) => newPartition(offset, cmd.timestamp, cmd.topicUUID, p.partitionId, p.replicas));
    return accepted([topic, ...partitions]);
  } catch (error) {
    if (error instanceof PlacementError) return rejected("invalid", `cannot place topic ${JSON.stringify(cmd.name)}: ${error.message}`);
    throw error;
  }
}

export function planCreatePartition(image: MetadataImage, cmd: CreatePartitionCommand, offset: number): ApplyResult {
  const topic = image.topicByName(cmd.topicName);
  if (!topic) return rejected("not_found", `topic ${JSON.stringify(cmd.topicName)} does not exist`);
  const where = `partition ${cmd.partitionId} of topic ${JSON.stringify(cmd.topicName)}`;
  if (image.partition(topic.fields.topicUUID, cmd.partitionId)) return rejected("conflict", `${where} already exists`);
  if (image.partitionCount() >= MAX_PARTITIONS) return rejected("invalid", `cannot create ${where}: the cluster already holds ${MAX_PARTITIONS} partitions`);
  const problem = replicaProblem(image, cmd);
  if (problem) return rejected("invalid", `${where}: ${problem}`);
  return accepted([
    {
      type: "metadata",
      name: "PartitionRecord",
      offset,
      timestamp: cmd.timestamp,
      fields: {
        partitionId: cmd.partitionId,
        topicUUID: topic.fields.topicUUID,
        replicas: cmd.replicas,
        ISR: cmd.ISR,
        removingReplicas: cmd.removingReplicas,
        addingReplicas: cmd.addingReplicas,
        leader: cmd.leader,
        partitionEpoch: 0,
        leaderEpoch: 0,
      },
    },
  ]);
}

/** replicas: registered non-CLOSED brokers, no duplicates; ISR, adding, removing ⊆ replicas; leader ∈ ISR. */
function replicaProblem(image: MetadataImage, cmd: CreatePartitionCommand): string | null {
  if (cmd.replicas.length === 0) return "replicas is empty";
  const duplicate = firstDuplicate(cmd.replicas);
  if (duplicate !== undefined) return `replicas lists broker ${duplicate} twice`;
  for (const id of cmd.replicas) {
    const status = image.broker(id)?.fields.brokerStatus;
    if (status === undefined) return `replica broker ${id} is not registered`;
    if (status === "CLOSED") return `replica broker ${id} is CLOSED`;
  }
  const members = new Set(cmd.replicas);
  for (const [label, list] of [["ISR", cmd.ISR], ["addingReplicas", cmd.addingReplicas], ["removingReplicas", cmd.removingReplicas]] as const) {
    const dup = firstDuplicate(list);
    if (dup !== undefined) return `${label} lists broker ${dup} twice`;
    const stranger = list.find((id) => !members.has(id));
    if (stranger !== undefined) return `${label} broker ${stranger} is not among the replicas [${cmd.replicas.join(",")}]`;
  }
  if (!/^(0|[1-9][0-9]*)$/.test(cmd.leader) || !cmd.ISR.includes(Number(cmd.leader))) {
    return `leader ${JSON.stringify(cmd.leader)} is not in the ISR [${cmd.ISR.join(",")}]`;
  }
  return null;
}

function firstDuplicate(ids: readonly number[]): number | undefined {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}
