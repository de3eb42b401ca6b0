// The parts of the API's answers (API.md) the client commands print. Only what they read is
// typed; JSON output passes the whole answer through untouched.

export interface RecordShape<F> {
  name: string;
  offset: number;
  timestamp: string;
  fields: F;
}

export type BrokerRecord = RecordShape<{
  brokerId: number;
  brokerHost: string;
  brokerPort: string;
  securityProtocol: string;
  brokerStatus: string;
  rackId?: string;
  epoch: number;
  internalUUID?: string;
}>;

export type TopicRecord = RecordShape<{ topicUUID: string; name: string }>;

export type PartitionRecord = RecordShape<{
  partitionId: number;
  topicUUID: string;
  replicas: number[];
  ISR: number[];
  leader: string;
  partitionEpoch: number;
  addingReplicas: number[];
  removingReplicas: number[];
}>;

export interface MemberShape {
  id: number;
  address: string;
  voter: boolean;
  logEndOffset: number;
  lag: number;
  lastContactMs: number | null;
}

export interface ClusterShape {
  nodeId: number;
  clusterId: string;
  role: string;
  leader: number;
  term: number;
  commitOffset: number;
  appliedOffset: number;
  firstOffset: number;
  lastOffset: number;
  membership: { voters: number[]; learners: number[] };
  members: MemberShape[];
}

export interface LogPageShape {
  firstOffset: number;
  lastOffset: number;
  records: RecordShape<Record<string, unknown>>[];
}
