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
  RemoveTopicRecord,
  TopicRecord,
} from "./records.ts";
import type { FrozenImage } from "./frozen-image.ts";

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

/** KRaft's AlterPartition, from the partition's leader, at the partition epoch it knows. */
export interface AlterPartitionRequest {
  brokerId: number;
  partitionEpoch: number;
  ISR: number[];
}

/** A reassignment's target replicas, in order (the first is the preferred leader). */
export interface ReassignPartitionRequest {
  replicas: number[];
}

/** Kafka's CreatePartitions: `count` more partitions, placed like the topic's own. */
export interface CreatePartitionsRequest {
  count: number;
  /** Only for a topic without partitions yet (default 1); otherwise the topic's own is kept. */
  replicationFactor?: number;
}

/** What a controller pass over many partitions did (preferred election of all, controlled shutdown). */
export interface ControllerOutcome {
  /** Partitions that got a new state. */
  changed: number;
  /** Log entries it took (each bounded). */
  batches: number;
  /** Offset of the last of them (0 when none). */
  offset: number;
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
  /** The image as of `offset`, frozen: written out in slices (answer-stream.ts) or pages, never built whole on a route. */
  | { mode: "snapshot"; offset: number; image: FrozenImage };

export interface MetadataFetch {
  /** Offset (integer) or time (ISO-8601, or epoch milliseconds as a number or digit string). */
  since?: string | number;
  /** Long poll: with nothing newer than `since`, wait up to this long (≤ 30000) for a commit. */
  waitMs?: number;
  /** "stale": answer from this node's applied state without a read barrier (any node, at once). */
  consistency?: Consistency;
}

/**
 * Where a watcher stands: a new one gives a `since` as the fetches take it (the diff window and the
 * held log decide), one already following gives the offset it has (only the held log decides, so
 * a quiet spell never turns its next change into a snapshot).
 */
export type WatchFrom = { since: string | number | undefined } | { following: number };

export interface LogPage {
  firstOffset: number;
  lastOffset: number;
  records: MetadataRecord[];
}

export interface MetadataService {
  registerBroker(req: RegisterBrokerRequest, opts?: WriteOptions): Promise<RegisterBrokerRecord>;
  listBrokers(opts: { status?: BrokerStatus; all?: boolean; consistency?: Consistency }): Promise<BrokerView[]>;
  getBroker(brokerId: number, consistency?: Consistency): Promise<BrokerView>;
  /** How many partitions each broker leads (brokers leading none are absent). */
  leaderCounts(consistency?: Consistency): Promise<Map<number, number>>;
  updateBroker(brokerId: number, req: UpdateBrokerRequest, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord>;
  unregisterBroker(brokerId: number, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord>;

  createTopic(req: CreateTopicRequest, opts?: WriteOptions): Promise<TopicView>;
  getTopic(name: string, consistency?: Consistency): Promise<TopicView>;
  listTopics(consistency?: Consistency): Promise<TopicRecord[]>;
  createPartition(topicName: string, req: CreatePartitionRequest, opts?: WriteOptions): Promise<PartitionRecord>;
  createPartitions(topicName: string, req: CreatePartitionsRequest, opts?: WriteOptions): Promise<PartitionRecord[]>;
  deleteTopic(name: string, opts?: WriteOptions): Promise<RemoveTopicRecord>;

  /** The partition's new state (or its current one when the change was already in effect). */
  alterPartition(topicName: string, partitionId: number, req: AlterPartitionRequest, opts?: WriteOptions): Promise<PartitionRecord>;
  reassignPartition(topicName: string, partitionId: number, req: ReassignPartitionRequest, opts?: WriteOptions): Promise<PartitionRecord>;
  cancelReassignment(topicName: string, partitionId: number, opts?: WriteOptions): Promise<PartitionRecord>;
  electLeader(topicName: string, partitionId: number, opts?: WriteOptions): Promise<PartitionRecord>;
  /** Preferred leader election over every partition, in bounded batches (run by the leader). */
  electLeaders(): Promise<ControllerOutcome>;

  registerProducer(req: RegisterProducerRequest, opts?: WriteOptions): Promise<ProducerIdsRecord>;

  /**
   * BrokerMgmt: also the broker's heartbeat (forwarded to the leader). With `wantShutdown`
   * (controlled shutdown) it is answered once leadership has moved off the broker.
   */
  brokerMetadata(brokerId: number, fetch: MetadataFetch, opts?: { wantShutdown?: boolean }): Promise<MetadataAnswer>;
  /** ClientMgmt: brokers, topics and partitions only. */
  clientMetadata(fetch: MetadataFetch): Promise<MetadataAnswer>;

  /** BrokerMgmt without a broker (the seed route called with no parameters): every record, no heartbeat. */
  metadata(fetch: MetadataFetch): Promise<MetadataAnswer>;
  /** The watch stream's source: this node's state at once (no read barrier, no wait), every record. */
  watch(from: WatchFrom): MetadataAnswer;

  /** The event log: records with offset ≥ from, oldest first, at most `limit` (bounded). */
  log(from: number, limit: number): Promise<LogPage>;
  /** Decode a stored snapshot's data into the metadata image it holds. */
  decodeSnapshot(data: Uint8Array): MetadataSnapshotBody;
  /** The diff history's gauges for /metrics: records held, their own bytes (estimated), the newest offset dropped. */
  historyMetrics(): Record<string, number>;
}
