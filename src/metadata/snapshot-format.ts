// The binary snapshot, version 3: what each record and remembered request looks like in it, written
// and read (the one-pass decoder built of the readers is snapshot-decoding.ts). Layout (integers
// are varints, snapshot-writer.ts):
//   version byte 3, "yakt", appliedIndex, nextProducerId,
//   brokers:   count, then each: offset, timestamp*, internalUUID, brokerId, host*, port*,
//              protocol*, status*, rack*, epoch                       (ascending broker id)
//   topics:    count, then each: offset, timestamp*, topicUUID, name, partition count, and its
//              partitions: offset, timestamp*, partitionId, replicas+, ISR+, removing+, adding+,
//              leader*, partitionEpoch, leaderEpoch       (topics by name, partitions by id)
//   producers: count, then each: offset, timestamp*, brokerId, brokerEpoch, producerId (by id)
//   requests:  count, then each the JSON of one remembered request, oldest first (request-codec.ts)
// (* a tabled string, + a tabled replica list). The order is strict, so a duplicate is an error and
// equal images give equal bytes. Requests stay JSON: at most 50,000 small entries whose records
// are mostly references into the image, and one rendering shared with the JSON format.
import { schemaProblem } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { BROKER_STATUSES, type BrokerStatus, type PartitionRecord, type ProducerIdsRecord, type RegisterBrokerRecord, type TopicRecord } from "./records.ts";
import type { RecordSource } from "./record-refs.ts";
import { sameIds } from "./replica-lists.ts";
import { RememberedRequestSchema, type StoredRequest, encodeRememberedRequest } from "./request-codec.ts";
import type { RememberedRequest, RequestTable } from "./request-table.ts";
import type { SnapshotReader } from "./snapshot-reader.ts";
import type { SnapshotWriter } from "./snapshot-writer.ts";

export const BINARY_SNAPSHOT_VERSION = 3;
const MAGIC = [0x79, 0x61, 0x6b, 0x74]; // "yakt"
/** A remembered request's JSON; far over any entry the request bounds allow. */
const MAX_REQUEST_CHARS = 16 * 1024 * 1024;

export interface DecodedSnapshot {
  appliedIndex: number;
  image: MetadataImage;
  requests: RequestTable;
}

/** Is this a binary snapshot (else it is JSON, or garbage)? */
export function isBinarySnapshot(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === BINARY_SNAPSHOT_VERSION;
}

export function writeHead(w: SnapshotWriter, appliedIndex: number, nextProducerId: number): void {
  w.u8(BINARY_SNAPSHOT_VERSION);
  for (const byte of MAGIC) w.u8(byte);
  w.uint(appliedIndex);
  w.uint(nextProducerId);
}

export function writeBroker(w: SnapshotWriter, { offset, timestamp, fields: f }: RegisterBrokerRecord): void {
  writeEnvelope(w, offset, timestamp);
  w.text(f.internalUUID);
  w.int(f.brokerId);
  w.sharedText(f.brokerHost);
  w.sharedText(f.brokerPort);
  w.sharedText(f.securityProtocol);
  w.sharedText(f.brokerStatus);
  w.sharedText(f.rackId);
  w.int(f.epoch);
}

export function writeTopic(w: SnapshotWriter, { offset, timestamp, fields }: TopicRecord, partitions: number): void {
  writeEnvelope(w, offset, timestamp);
  w.text(fields.topicUUID);
  w.text(fields.name);
  w.uint(partitions);
}

export function writePartition(w: SnapshotWriter, { offset, timestamp, fields: f }: PartitionRecord): void {
  writeEnvelope(w, offset, timestamp);
  w.int(f.partitionId);
  w.list(f.replicas);
  w.list(f.ISR);
  w.list(f.removingReplicas);
  w.list(f.addingReplicas);
  w.sharedText(f.leader);
  w.int(f.partitionEpoch);
  w.int(f.leaderEpoch);
}

export function writeProducer(w: SnapshotWriter, { offset, timestamp, fields: f }: ProducerIdsRecord): void {
  writeEnvelope(w, offset, timestamp);
  w.int(f.brokerId);
  w.int(f.brokerEpoch);
  w.int(f.producerId);
}

export function writeRequest(w: SnapshotWriter, request: RememberedRequest, source: RecordSource): void {
  w.text(encodeRememberedRequest(request, source));
}

export function readBroker(r: SnapshotReader): RegisterBrokerRecord {
  const { offset, timestamp } = readEnvelope(r);
  const internalUUID = r.text();
  const brokerId = r.int();
  const brokerHost = r.sharedText();
  const brokerPort = r.sharedText();
  const securityProtocol = r.sharedText();
  const status = r.sharedText();
  if (!(BROKER_STATUSES as readonly string[]).includes(status)) r.fail(`broker ${brokerId} has unknown status ${JSON.stringify(status)}`);
  const brokerStatus = status as BrokerStatus;
  const rackId = r.sharedText();
  const epoch = r.int();
  return { type: "metadata", name: "RegisterBrokerRecord", offset, timestamp, fields: { internalUUID, brokerId, brokerHost, brokerPort, securityProtocol, brokerStatus, rackId, epoch } };
}

/** A topic's own fields and how many partitions follow it. */
export function readTopicHead(r: SnapshotReader): { topic: TopicRecord; partitions: number } {
  const { offset, timestamp } = readEnvelope(r);
  const topicUUID = r.text();
  const name = r.text();
  const partitions = r.count("partitions");
  return { topic: { type: "metadata", name: "TopicRecord", offset, timestamp, fields: { topicUUID, name } }, partitions };
}

/**
 * A partition; the record `held` (the topic's partitions in the image being replaced, by id) has
 * under its id when that is equal to what was read (then nothing is allocated for it).
 */
export function readPartition(r: SnapshotReader, topicUUID: string, held?: ReadonlyMap<number, PartitionRecord>): PartitionRecord {
  const { offset, timestamp } = readEnvelope(r);
  const partitionId = r.int();
  // Lists come frozen from the reader's pool; the record types hold them as number[].
  const replicas = r.list() as number[];
  const ISR = r.list() as number[];
  const removingReplicas = r.list() as number[];
  const addingReplicas = r.list() as number[];
  const leader = r.sharedText();
  const partitionEpoch = r.int();
  const leaderEpoch = r.int();
  const kept = held?.get(partitionId);
  if (
    kept !== undefined &&
    kept.offset === offset &&
    kept.timestamp === timestamp &&
    kept.fields.leader === leader &&
    kept.fields.partitionEpoch === partitionEpoch &&
    kept.fields.leaderEpoch === leaderEpoch &&
    sameIds(kept.fields.replicas, replicas) &&
    sameIds(kept.fields.ISR, ISR) &&
    sameIds(kept.fields.removingReplicas, removingReplicas) &&
    sameIds(kept.fields.addingReplicas, addingReplicas)
  ) {
    return kept;
  }
  // Fields frozen here, in the spec's order and with interned lists, are what freezeRecord would
  // make of them: it leaves them as they are (no copy per partition on a restore).
  return {
    type: "metadata",
    name: "PartitionRecord",
    offset,
    timestamp,
    fields: Object.freeze({ partitionId, topicUUID, replicas, ISR, removingReplicas, addingReplicas, leader, partitionEpoch, leaderEpoch }),
  };
}

export function readProducer(r: SnapshotReader): ProducerIdsRecord {
  const { offset, timestamp } = readEnvelope(r);
  const brokerId = r.int();
  const brokerEpoch = r.int();
  const producerId = r.int();
  return { type: "metadata", name: "ProducerIdsRecord", offset, timestamp, fields: { brokerId, brokerEpoch, producerId } };
}

/** One remembered request's JSON, parsed and schema-checked (the `index`-th, for messages). */
export function readRequest(r: SnapshotReader, index: number): StoredRequest {
  const text = r.text();
  if (text.length > MAX_REQUEST_CHARS) r.fail(`remembered request ${index} is ${text.length} characters, over ${MAX_REQUEST_CHARS}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    r.fail(`remembered request ${index} is not JSON: ${(error as Error).message}`);
  }
  const problem = schemaProblem(RememberedRequestSchema, value);
  if (problem !== null) r.fail(`remembered request ${index}: ${problem}`);
  return value as StoredRequest;
}

/** The head: version byte, magic, applied index and producer id counter. */
export function readHead(r: SnapshotReader): { appliedIndex: number; nextProducerId: number } {
  if (r.u8() !== BINARY_SNAPSHOT_VERSION || MAGIC.some((byte) => r.u8() !== byte)) r.fail(`not a version ${BINARY_SNAPSHOT_VERSION} snapshot`);
  const appliedIndex = r.uint();
  return { appliedIndex, nextProducerId: r.uint() };
}

/** What every record starts with: the offset of its entry and the leader's timestamp. */
function writeEnvelope(w: SnapshotWriter, offset: number, timestamp: string): void {
  w.uint(offset);
  w.sharedText(timestamp);
}

function readEnvelope(r: SnapshotReader): { offset: number; timestamp: string } {
  const offset = r.uint();
  if (offset < 1) r.fail("a record's offset is 0 (offsets start at 1)");
  return { offset, timestamp: r.sharedText() };
}
