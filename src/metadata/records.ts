// The YAKt metadata records and their envelope (../shared/API.md): the original five, whose field
// names are fixed by the YAKt spec (ISR, topicUUID, internalUUID included), and KRaft's
// RemoveTopicRecord. `leaderEpoch` of a PartitionRecord came later: old records read as 0.
import { type Static, Type } from "@sinclair/typebox";

export const BROKER_STATUSES = ["INIT", "ALIVE", "FENCED", "UNFENCED", "CLOSED"] as const;
export const BrokerStatus = Type.Union(BROKER_STATUSES.map((s) => Type.Literal(s)));
export type BrokerStatus = (typeof BROKER_STATUSES)[number];
/** Statuses that count as an active (registered, not closed, not fenced) broker. */
export const ACTIVE_STATUSES: readonly BrokerStatus[] = ["INIT", "ALIVE", "UNFENCED"];

export const RegisterBrokerFields = Type.Object({
  internalUUID: Type.String(),
  brokerId: Type.Integer(),
  brokerHost: Type.String(),
  brokerPort: Type.String(),
  securityProtocol: Type.String(),
  brokerStatus: BrokerStatus,
  rackId: Type.String(),
  epoch: Type.Integer(),
});
export type RegisterBrokerFields = Static<typeof RegisterBrokerFields>;

export const TopicFields = Type.Object({
  topicUUID: Type.String(),
  name: Type.String(),
});
export type TopicFields = Static<typeof TopicFields>;

export const PartitionFields = Type.Object({
  partitionId: Type.Integer(),
  topicUUID: Type.String(),
  replicas: Type.Array(Type.Integer()),
  ISR: Type.Array(Type.Integer()),
  removingReplicas: Type.Array(Type.Integer()),
  addingReplicas: Type.Array(Type.Integer()),
  leader: Type.String(),
  partitionEpoch: Type.Integer(),
  /** Rises only when the leader changes (partitionEpoch rises on every change). */
  leaderEpoch: Type.Integer(),
});
export type PartitionFields = Static<typeof PartitionFields>;

export const ProducerIdsFields = Type.Object({
  brokerId: Type.Integer(),
  brokerEpoch: Type.Integer(),
  producerId: Type.Integer(),
});
export type ProducerIdsFields = Static<typeof ProducerIdsFields>;

export const RegistrationChangeBrokerFields = Type.Object({
  brokerId: Type.Integer(),
  brokerHost: Type.String(),
  brokerPort: Type.String(),
  securityProtocol: Type.String(),
  brokerStatus: BrokerStatus,
  epoch: Type.Integer(),
});
export type RegistrationChangeBrokerFields = Static<typeof RegistrationChangeBrokerFields>;

/** KRaft's RemoveTopicRecord: the topic and all its partitions are gone. */
export const RemoveTopicFields = Type.Object({
  topicUUID: Type.String(),
  name: Type.String(),
});
export type RemoveTopicFields = Static<typeof RemoveTopicFields>;

/** The leader of a partition that has none (no live ISR member; unclean election is off). */
export const NO_LEADER = "-1";

function envelope<N extends string, F extends ReturnType<typeof Type.Object>>(name: N, fields: F) {
  return Type.Object({
    type: Type.Literal("metadata"),
    name: Type.Literal(name),
    /** Raft log index of the entry that carried the record. */
    offset: Type.Integer({ minimum: 1 }),
    /** ISO-8601 UTC, stamped by the leader when it proposed the record. */
    timestamp: Type.String(),
    fields,
  });
}

export const RegisterBrokerRecord = envelope("RegisterBrokerRecord", RegisterBrokerFields);
export const TopicRecord = envelope("TopicRecord", TopicFields);
export const PartitionRecord = envelope("PartitionRecord", PartitionFields);
/** A PartitionRecord as snapshots written before `leaderEpoch` hold it (read as 0). */
export const StoredPartitionRecord = envelope(
  "PartitionRecord",
  Type.Object({ ...PartitionFields.properties, leaderEpoch: Type.Optional(Type.Integer()) }),
);
export const ProducerIdsRecord = envelope("ProducerIdsRecord", ProducerIdsFields);
export const RegistrationChangeBrokerRecord = envelope("RegistrationChangeBrokerRecord", RegistrationChangeBrokerFields);
export const RemoveTopicRecord = envelope("RemoveTopicRecord", RemoveTopicFields);

export const MetadataRecord = Type.Union([
  RegisterBrokerRecord,
  TopicRecord,
  PartitionRecord,
  ProducerIdsRecord,
  RegistrationChangeBrokerRecord,
  RemoveTopicRecord,
]);

export type RegisterBrokerRecord = Static<typeof RegisterBrokerRecord>;
export type TopicRecord = Static<typeof TopicRecord>;
export type PartitionRecord = Static<typeof PartitionRecord>;
export type ProducerIdsRecord = Static<typeof ProducerIdsRecord>;
export type RegistrationChangeBrokerRecord = Static<typeof RegistrationChangeBrokerRecord>;
export type RemoveTopicRecord = Static<typeof RemoveTopicRecord>;
export type MetadataRecord = Static<typeof MetadataRecord>;
export type RecordName = MetadataRecord["name"];

/** Records ClientMgmt answers carry (no producer ids). */
export const CLIENT_RECORD_NAMES: readonly RecordName[] = [
  "RegisterBrokerRecord",
  "RegistrationChangeBrokerRecord",
  "TopicRecord",
  "PartitionRecord",
  "RemoveTopicRecord",
];

/**
 * For the `default` of a switch over record names (or any closed union): a new member makes the
 * switch fail to compile until it is handled.
 */
export function unhandled(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
