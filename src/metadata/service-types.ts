// What the REST API and the console ask of the metadata layer. src/metadata/service.ts implements
// it over a ConsensusHandle; every method either resolves or rejects with a MetadataError (caller's
// mistake) or one of the node's errors (NoLeaderError, ConsensusTimeoutError…).
import type {
  BrokerStatus,
  MetadataRecord,
  PartitionRecord,
  ProducerIdsRecord,
  RegisterBrokerRecord,
  RegistrationChangeBrokerRecord,
  TopicRecord,
} from "./records.ts";

/** "linearizable" (default): read index through the leader; "stale": this node's state at once. */
export type Consistency = "linearizable" | "stale";

export interface RegisterBrokerRequest {
  brokerId: number;
  brokerHost: string;
  brokerPort: string;
  securityProtocol: string;
  rackId: string;
}

/** Fields a client may change on a broker; each change bumps the broker's epoch. */
export interface UpdateBrokerRequest {
  brokerHost?: string;
  brokerPort?: string;
  securityProtocol?: string;
}

export interface CreateTopicRequest {
  name: string;
  /** With replicationFactor: create partitions 0..n-1, placed rack-aware, in the same entry. */
  partitions?: number;
  replicationFactor?: number;
}

export interface CreatePartitionRequest {
  partitionId: number;
  replicas: number[];
  ISR: number[];
  /** A broker id in ISR; kept as a string in the record, as the spec has it. */
  leader: string;
  removingReplicas?: number[];
  addingReplicas?: number[];
}

export interface RegisterProducerRequest {
  brokerId: number;
  /** Allocated by the state machine when absent. */
  producerId?: number;
  /** When given (seed route), must equal the broker's current epoch, else 409. */
  brokerEpoch?: number;
}

/** How a write is identified across its retries. */
export interface WriteOptions {
  /**
   * The client's Idempotency-Key (request-ids.ts gives its form): a write retried with the same
   * key and request is answered with the first answer and applied once; a malformed key is a
   * bad_request, and the key reused for a different request is idempotency_key_reused.
   */
  idempotencyKey?: string;
}

/** A broker's current state, shaped as its RegisterBrokerRecord; offset/timestamp of its latest change. */
export type BrokerView = RegisterBrokerRecord;

export interface TopicView {
  topic: TopicRecord;
  partitions: PartitionRecord[];
}

export interface MetadataSnapshotBody {
  brokers: BrokerView[];
  topics: TopicRecord[];
  partitions: PartitionRecord[];
  producers: ProducerIdsRecord[];
}

export type MetadataAnswer =
  | { mode: "diff"; offset: number; records: MetadataRecord[] }
  | { mode: "snapshot"; offset: number; snapshot: MetadataSnapshotBody };

export interface MetadataFetch {
  /** Offset (integer) or time (ISO-8601, or epoch milliseconds as a number or digit string). */
  since?: string | number;
  /** Long poll: with nothing newer than `since`, wait up to this long (≤ 30000) for a commit. */
  waitMs?: number;
}

export interface LogPage {
  firstOffset: number;
  lastOffset: number;
  records: MetadataRecord[];
}

export interface MetadataService {
  registerBroker(req: RegisterBrokerRequest, opts?: WriteOptions): Promise<RegisterBrokerRecord>;
  listBrokers(opts: { status?: BrokerStatus; all?: boolean; consistency?: Consistency }): Promise<BrokerView[]>;
  getBroker(brokerId: number, consistency?: Consistency): Promise<BrokerView>;
  updateBroker(brokerId: number, req: UpdateBrokerRequest, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord>;
  unregisterBroker(brokerId: number, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord>;

  createTopic(req: CreateTopicRequest, opts?: WriteOptions): Promise<TopicView>;
  getTopic(name: string, consistency?: Consistency): Promise<TopicView>;
  listTopics(consistency?: Consistency): Promise<TopicRecord[]>;
  createPartition(topicName: string, req: CreatePartitionRequest, opts?: WriteOptions): Promise<PartitionRecord>;

  registerProducer(req: RegisterProducerRequest, opts?: WriteOptions): Promise<ProducerIdsRecord>;

  /** BrokerMgmt: also the broker's heartbeat (forwarded to the leader). */
  brokerMetadata(brokerId: number, fetch: MetadataFetch): Promise<MetadataAnswer>;
  /** ClientMgmt: brokers, topics and partitions only. */
  clientMetadata(fetch: MetadataFetch): Promise<MetadataAnswer>;

  /** The event log: records with offset ≥ from, oldest first, at most `limit` (bounded). */
  log(from: number, limit: number): Promise<LogPage>;
  /** Decode a stored snapshot's data into the metadata image it holds. */
  decodeSnapshot(data: Uint8Array): MetadataSnapshotBody;
}
