// The state machine's snapshot bytes: a versioned JSON document of the whole image plus the applied
// index and the producer id counter. Arrays are in the image's stable order, so two replicas with
// equal state produce byte-identical snapshots. encodeSnapshot() writes it in one go; the node
// uses snapshot-encoder.ts, which writes the same bytes in bounded slices (this one is the
// reference its tests and scripts/bench-snapshot.ts compare against).
import { type Static, Type } from "@sinclair/typebox";
import { type DecodeResult, parseJson, schemaProblem } from "./commands.ts";
import { MetadataImage } from "./image.ts";
import { preview } from "./preview.ts";
import { type PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord, StoredPartitionRecord, TopicRecord } from "./records.ts";

export const SNAPSHOT_FORMAT = "yakt-metadata-snapshot";
export const SNAPSHOT_VERSION = 1;
/** Far above any image the limits allow, but a bound on what a peer can make us parse. */
const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

const SnapshotDocument = Type.Object({
  format: Type.Literal(SNAPSHOT_FORMAT),
  version: Type.Literal(SNAPSHOT_VERSION),
  appliedIndex: Type.Integer({ minimum: 0 }),
  nextProducerId: Type.Integer({ minimum: 0 }),
  brokers: Type.Array(RegisterBrokerRecord),
  topics: Type.Array(TopicRecord),
  partitions: Type.Array(StoredPartitionRecord),
  producers: Type.Array(ProducerIdsRecord),
});
type SnapshotDocument = Static<typeof SnapshotDocument>;

export interface DecodedSnapshot {
  appliedIndex: number;
  image: MetadataImage;
}

const encoder = new TextEncoder();

export function encodeSnapshot(image: MetadataImage, appliedIndex: number): Uint8Array {
  const doc: SnapshotDocument = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    appliedIndex,
    nextProducerId: image.nextProducerId(),
    ...image.body(),
  };
  return encoder.encode(JSON.stringify(doc));
}

/** Never throws: garbage, another version or an inconsistent image is reported. */
export function decodeSnapshot(data: Uint8Array): DecodeResult<DecodedSnapshot> {
  // No nesting scan (it would add about a tenth to a restore): a snapshot is written by a state
  // machine from validated commands, and nothing below recurses past the schema's own depth
  // (the compiled check does not descend into unknown keys; messages use the bounded preview).
  const parsed = parseJson(data, MAX_SNAPSHOT_BYTES, null);
  if (!parsed.ok) return parsed;
  const version = (parsed.value as { version?: unknown } | null)?.version;
  if (version !== SNAPSHOT_VERSION) return { ok: false, message: `snapshot version ${preview(version ?? null)} is not supported (expected ${SNAPSHOT_VERSION})` };
  const problem = schemaProblem(SnapshotDocument, parsed.value);
  if (problem) return { ok: false, message: `snapshot is malformed: ${problem}` };
  const doc = parsed.value as SnapshotDocument;
  const inconsistency = consistencyProblem(doc);
  if (inconsistency) return { ok: false, message: `snapshot is inconsistent: ${inconsistency}` };
  const { brokers, topics, producers } = doc;
  const partitions = doc.partitions.map(withLeaderEpoch);
  return { ok: true, value: { appliedIndex: doc.appliedIndex, image: MetadataImage.fromBody({ brokers, topics, partitions, producers }, doc.nextProducerId) } };
}

/** Snapshots written before leader epochs existed read as leader epoch 0. */
function withLeaderEpoch(record: Static<typeof StoredPartitionRecord>): PartitionRecord {
  const { leaderEpoch } = record.fields;
  return leaderEpoch === undefined ? { ...record, fields: { ...record.fields, leaderEpoch: 0 } } : (record as PartitionRecord);
}

function consistencyProblem(doc: SnapshotDocument): string | null {
  const dupBroker = duplicateOf(doc.brokers.map((b) => b.fields.brokerId));
  if (dupBroker !== undefined) return `broker ${dupBroker} appears twice`;
  const dupTopic = duplicateOf(doc.topics.map((t) => t.fields.name)) ?? duplicateOf(doc.topics.map((t) => t.fields.topicUUID));
  if (dupTopic !== undefined) return `topic ${dupTopic} appears twice`;
  const topicIds = new Set(doc.topics.map((t) => t.fields.topicUUID));
  const orphan = doc.partitions.find((p) => !topicIds.has(p.fields.topicUUID));
  if (orphan) return `partition ${orphan.fields.partitionId} belongs to unknown topic ${orphan.fields.topicUUID}`;
  const dupPartition = duplicateOf(doc.partitions.map((p) => `${p.fields.topicUUID}/${p.fields.partitionId}`));
  if (dupPartition !== undefined) return `partition ${dupPartition} appears twice`;
  const dupProducer = duplicateOf(doc.producers.map((p) => p.fields.producerId));
  if (dupProducer !== undefined) return `producer id ${dupProducer} appears twice`;
  return null;
}

function duplicateOf<T>(values: readonly T[]): T | undefined {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}
