// Request bodies and path parameters of the controller's partition routes: AlterPartition,
// reassignment, preferred election, and more partitions with `count`.
import { type Static, Type } from "@sinclair/typebox";
import { MAX_PARTITIONS_PER_REQUEST, MAX_REPLICATION_FACTOR } from "../../metadata/limits.ts";
import { BrokerId, ReplicaList, TopicName } from "./fields.ts";
import { Digits } from "./queries.ts";

const strict = { additionalProperties: false } as const;

export const PartitionParams = Type.Object({ name: TopicName, id: Digits });

export const AlterPartitionBody = Type.Object(
  {
    brokerId: BrokerId,
    partitionEpoch: Type.Integer({ minimum: 0, description: "the partition epoch the leader's view is at" }),
    ISR: ReplicaList,
  },
  strict,
);
export type AlterPartitionBody = Static<typeof AlterPartitionBody>;

export const ReassignBody = Type.Object({ replicas: Type.Array(BrokerId, { minItems: 1, maxItems: ReplicaList.maxItems, description: "target replicas; the first is the preferred leader" }) }, strict);
export type ReassignBody = Static<typeof ReassignBody>;

export const CreatePartitionsBody = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: MAX_PARTITIONS_PER_REQUEST, description: "how many partitions to add" }),
    replicationFactor: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLICATION_FACTOR, description: "only for a topic without partitions yet" })),
  },
  strict,
);
export type CreatePartitionsBody = Static<typeof CreatePartitionsBody>;
