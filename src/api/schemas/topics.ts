// Request bodies of the topic and partition endpoints (6 and 8).
import { type Static, Type } from "@sinclair/typebox";
import { MAX_PARTITIONS_PER_REQUEST, MAX_REPLICATION_FACTOR } from "../../metadata/limits.ts";
import { LeaderId, PartitionId, ReplicaList, TopicName } from "./fields.ts";

export const CreateTopicBody = Type.Object(
  {
    name: TopicName,
    partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PARTITIONS_PER_REQUEST })),
    replicationFactor: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLICATION_FACTOR })),
  },
  { additionalProperties: false },
);
export type CreateTopicBody = Static<typeof CreateTopicBody>;

export const CreatePartitionBody = Type.Object(
  {
    partitionId: PartitionId,
    replicas: ReplicaList,
    ISR: ReplicaList,
    leader: LeaderId,
    removingReplicas: Type.Optional(ReplicaList),
    addingReplicas: Type.Optional(ReplicaList),
  },
  { additionalProperties: false },
);
export type CreatePartitionBody = Static<typeof CreatePartitionBody>;
