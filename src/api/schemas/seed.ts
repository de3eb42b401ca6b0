// Request bodies of the original YAKt course project's routes. They are flat objects like the /v1
// ones, a little more forgiving where the original clients were: a port may be a number, a
// partition's leader may be a number, the rack may be left out, and fields the server sets
// (internalUUID, brokerStatus, epoch, topicUUID, partitionEpoch, leaderEpoch) may be sent and are ignored.
import { type Static, Type } from "@sinclair/typebox";
import { MAX_PARTITIONS_PER_REQUEST, MAX_REPLICATION_FACTOR } from "../../metadata/limits.ts";
import { Digits } from "./queries.ts";
import { BrokerHost, BrokerId, BrokerPort, BrokerPortNumber, LeaderId, PartitionId, ProducerId, RackId, ReplicaList, SecurityProtocol, TopicName } from "./fields.ts";

const strict = { additionalProperties: false } as const;
/** The same ports as the /v1 routes take, as a string or a number. */
const SeedPort = Type.Union([BrokerPort, BrokerPortNumber]);
const Ignored = Type.String({ maxLength: 64 });
const IgnoredInt = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const SeedRegisterBrokerBody = Type.Object(
  {
    brokerId: BrokerId,
    brokerHost: BrokerHost,
    brokerPort: SeedPort,
    securityProtocol: SecurityProtocol,
    rackId: Type.Optional(RackId),
    internalUUID: Type.Optional(Ignored),
    brokerStatus: Type.Optional(Ignored),
    epoch: Type.Optional(IgnoredInt),
  },
  strict,
);
export type SeedRegisterBrokerBody = Static<typeof SeedRegisterBrokerBody>;

export const SeedUpdateBrokerBody = Type.Object(
  {
    brokerId: Type.Optional(BrokerId),
    brokerHost: Type.Optional(BrokerHost),
    brokerPort: Type.Optional(SeedPort),
    securityProtocol: Type.Optional(SecurityProtocol),
  },
  strict,
);

export const SeedCreateTopicBody = Type.Object(
  {
    name: TopicName,
    partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PARTITIONS_PER_REQUEST })),
    replicationFactor: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLICATION_FACTOR })),
    topicUUID: Type.Optional(Ignored),
  },
  strict,
);

export const SeedCreatePartitionBody = Type.Object(
  {
    partitionId: PartitionId,
    topicName: Type.Optional(TopicName),
    topicUUID: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    replicas: ReplicaList,
    ISR: ReplicaList,
    leader: Type.Union([LeaderId, BrokerId]),
    removingReplicas: Type.Optional(ReplicaList),
    addingReplicas: Type.Optional(ReplicaList),
    partitionEpoch: Type.Optional(IgnoredInt),
    leaderEpoch: Type.Optional(IgnoredInt),
  },
  strict,
);
export type SeedCreatePartitionBody = Static<typeof SeedCreatePartitionBody>;

/** The broker and its epoch come from the path; repeating them in the body is allowed if equal. */
export const SeedCreateProducerBody = Type.Object(
  { producerId: Type.Optional(ProducerId), brokerId: Type.Optional(BrokerId), brokerEpoch: Type.Optional(IgnoredInt) },
  strict,
);

export const SeedBrokerMgmtQuery = Type.Object(
  {
    brokerId: Type.Optional(Digits),
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: "^[0-9A-Za-z:.+-]+$" })),
    wait_ms: Type.Optional(Digits),
  },
  strict,
);

/** The original unregister took no body; one naming the broker again is allowed if it is the path's. */
export const SeedUnregisterBrokerBody = Type.Object({ brokerId: Type.Optional(BrokerId) }, strict);

export const SeedIdParams = Type.Object({ id: Digits });
export const SeedProducerParams = Type.Object({
  broker_id: Digits,
  broker_epoch: Digits,
});
