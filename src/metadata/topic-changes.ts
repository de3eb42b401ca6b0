// Changes to an existing topic: more partitions (Kafka's CreatePartitions, placed at apply time with
// the topic's own striping) and deletion (KRaft's RemoveTopicRecord: the topic and its partitions go,
// and the name may be created again with a new UUID).
import { type ApplyResult, accepted, rejected } from "./apply-result.ts";
import type { CreatePartitionsCommand, DeleteTopicCommand } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { MAX_PARTITION_ID, MAX_PARTITIONS } from "./limits.ts";
import { PlacementError, checkPlacement, placePartitions } from "./placement.ts";
import type { PlanMode } from "./planner.ts";
import type { PartitionRecord } from "./records.ts";
import { EMPTY, internReplicas } from "./replica-lists.ts";

export function planCreatePartitions(image: MetadataImage, cmd: CreatePartitionsCommand, offset: number, mode: PlanMode = "apply"): ApplyResult {
  const topic = image.topicByName(cmd.topicName);
  if (!topic) return rejected("not_found", `topic ${JSON.stringify(cmd.topicName)} does not exist`);
  const name = JSON.stringify(cmd.topicName);
  if (image.partitionCount() + cmd.count > MAX_PARTITIONS) {
    return rejected("invalid", `${cmd.count} more partitions would exceed the cluster's limit of ${MAX_PARTITIONS}`);
  }
  const existing = image.partitionsOf(topic.fields.topicUUID);
  const firstId = existing.length === 0 ? 0 : existing[existing.length - 1].fields.partitionId + 1;
  if (firstId + cmd.count - 1 > MAX_PARTITION_ID) return rejected("invalid", `topic ${name} has no room for ${cmd.count} more partition ids after ${firstId - 1}`);
  // Kafka keeps the topic's replication factor; a topic without partitions yet takes the request's (or 1).
  const replicationFactor = cmd.replicationFactor ?? existing[0]?.fields.replicas.length ?? 1;
  try {
    const brokers = image.activeBrokers().map((b) => ({ brokerId: b.fields.brokerId, rackId: b.fields.rackId }));
    if (mode === "check") {
      checkPlacement(brokers.length, replicationFactor);
      return accepted([]); // the verdict only (planner.ts: PlanMode)
    }
    const placed = placePartitions(brokers, cmd.count, replicationFactor, topic.fields.topicUUID, firstId);
    return accepted(placed.map((p) => newPartition(offset, cmd.timestamp, topic.fields.topicUUID, p.partitionId, p.replicas)));
  } catch (error) {
    if (error instanceof PlacementError) return rejected("invalid", `cannot place ${cmd.count} more partitions of topic ${name}: ${error.message}`);
    throw error;
  }
}

/**
 * A placed partition: the whole replica list in the ISR, the first replica leading, epochs 0. The
 * list is interned here, once, and the ISR shares it; the fields come frozen, which tells
 * freezeRecord their lists are interned already (a create of 100 partitions saves 400 look-ups).
 */
export function newPartition(offset: number, timestamp: string, topicUUID: string, partitionId: number, replicas: number[]): PartitionRecord {
  const list = internReplicas(replicas) as number[];
  return {
    type: "metadata",
    name: "PartitionRecord",
    offset,
    timestamp,
    fields: Object.freeze({
      partitionId,
      topicUUID,
      replicas: list,
      ISR: list,
      removingReplicas: EMPTY as number[],
      addingReplicas: EMPTY as number[],
      leader: String(replicas[0]),
      partitionEpoch: 0,
      leaderEpoch: 0,
    }),
  };
}

export function planDeleteTopic(image: MetadataImage, cmd: DeleteTopicCommand, offset: number): ApplyResult {
  const topic = image.topicByName(cmd.name);
  if (!topic) return rejected("not_found", `topic ${JSON.stringify(cmd.name)} does not exist`);
  return accepted([{ type: "metadata", name: "RemoveTopicRecord", offset, timestamp: cmd.timestamp, fields: { topicUUID: topic.fields.topicUUID, name: topic.fields.name } }]);
}
