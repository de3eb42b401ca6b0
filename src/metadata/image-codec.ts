// The state machine's snapshot bytes, by their first byte: 3 is the binary format the node writes
// now (snapshot-format.ts, encoded in slices by snapshot-encoder.ts); "{" is the JSON document of
// versions 1 and 2, which still loads: the whole image plus the applied index, the producer id
// counter and (since version 2) the remembered request ids, oldest first (request-codec.ts; a
// version 1 snapshot loads with none remembered). encodeSnapshot() writes that JSON (version 2) in
// one go: a readable rendering of a state for tests, tools and the compatibility checks.
import { type Static, Type } from "@sinclair/typebox";
import { type DecodeResult, parseJson, schemaProblem } from "./commands.ts";
import { BinarySnapshotDecoding, type SnapshotDecoding } from "./snapshot-decoding.ts";
import { BINARY_SNAPSHOT_VERSION, type DecodedSnapshot, isBinarySnapshot } from "./snapshot-format.ts";
import { MetadataImage } from "./image.ts";
import { preview } from "./preview.ts";
import { type PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord, StoredPartitionRecord, TopicRecord } from "./records.ts";
import { imageSource } from "./record-refs.ts";
import { RememberedRequestSchema, type StoredRequest, decodeRequests, encodeRememberedRequest } from "./request-codec.ts";
import { DEFAULT_REQUEST_BOUNDS, type RememberedRequest, type RequestTableBounds } from "./request-table.ts";

export type { DecodedSnapshot } from "./snapshot-format.ts";

export const SNAPSHOT_FORMAT = "yakt-metadata-snapshot";
/** The JSON format's last version; version 1 (before request ids) is still read too. */
export const JSON_SNAPSHOT_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, 2];
const OPEN_BRACE = 0x7b;
/** Far above any image the limits allow, but a bound on what a peer can make us parse. */
const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

const SnapshotDocument = Type.Object({
  format: Type.Literal(SNAPSHOT_FORMAT),
  version: Type.Union([Type.Literal(1), Type.Literal(2)]),
  appliedIndex: Type.Integer({ minimum: 0 }),
  nextProducerId: Type.Integer({ minimum: 0 }),
  brokers: Type.Array(RegisterBrokerRecord),
  topics: Type.Array(TopicRecord),
  partitions: Type.Array(StoredPartitionRecord),
  producers: Type.Array(ProducerIdsRecord),
  /** Version 2 on: the remembered request ids, oldest first. */
  requests: Type.Optional(Type.Array(RememberedRequestSchema)),
});
type SnapshotDocument = Static<typeof SnapshotDocument>;

const encoder = new TextEncoder();

export function encodeSnapshot(image: MetadataImage, appliedIndex: number, requests: Iterable<RememberedRequest> = []): Uint8Array {
  const doc: Omit<SnapshotDocument, "requests"> = {
    format: SNAPSHOT_FORMAT,
    version: JSON_SNAPSHOT_VERSION,
    appliedIndex,
    nextProducerId: image.nextProducerId(),
    ...image.body(),
  };
  const source = imageSource(image);
  const entries = [...requests].map((r) => encodeRememberedRequest(r, source)).join(",");
  return encoder.encode(`${JSON.stringify(doc).slice(0, -1)},"requests":[${entries}]}`);
}

/** Never throws: garbage, another version or an inconsistent image is reported. */
export function decodeSnapshot(data: Uint8Array, requestBounds: RequestTableBounds = DEFAULT_REQUEST_BOUNDS): DecodeResult<DecodedSnapshot> {
  const outcome = beginDecode(data, requestBounds).step(Number.MAX_SAFE_INTEGER);
  if (outcome === null) throw new Error("an unbounded decoding step left work undone");
  return outcome;
}

/**
 * A snapshot decoded in bounded steps (snapshot-decoding.ts). The JSON versions, which only old
 * data dirs hold, decode in one step. `held`, the image the decoded one is to replace, lends it
 * every record and topic table that did not change; it must not change while the decoding runs.
 */
export function beginDecode(data: Uint8Array, requestBounds: RequestTableBounds = DEFAULT_REQUEST_BOUNDS, held: MetadataImage | null = null): SnapshotDecoding {
  if (isBinarySnapshot(data)) return new BinarySnapshotDecoding(data, requestBounds, held);
  if (data.length > 0 && data[0] !== OPEN_BRACE) {
    const refused: DecodeResult<DecodedSnapshot> = { ok: false, message: `snapshot version byte ${data[0]} is not supported (expected ${BINARY_SNAPSHOT_VERSION}, or a JSON snapshot of version 1 or 2)` };
    return { step: () => refused };
  }
  let outcome: DecodeResult<DecodedSnapshot> | null = null;
  return { step: () => (outcome ??= decodeJsonSnapshot(data, requestBounds)) };
}

/** A version 1 or 2 snapshot: one JSON document. */
function decodeJsonSnapshot(data: Uint8Array, requestBounds: RequestTableBounds): DecodeResult<DecodedSnapshot> {
  // No nesting scan (it would add about a tenth to a restore): a snapshot is written by a state
  // machine from validated commands, and nothing below recurses past the schema's own depth
  // (the compiled check does not descend into unknown keys; messages use the bounded preview).
  const parsed = parseJson(data, MAX_SNAPSHOT_BYTES, null);
  if (!parsed.ok) return parsed;
  const version = (parsed.value as { version?: unknown } | null)?.version;
  if (!READABLE_VERSIONS.includes(version)) {
    return { ok: false, message: `snapshot version ${preview(version ?? null)} is not supported (expected one of ${READABLE_VERSIONS.join(", ")})` };
  }
  const problem = schemaProblem(SnapshotDocument, parsed.value);
  if (problem) return { ok: false, message: `snapshot is malformed: ${problem}` };
  const doc = parsed.value as SnapshotDocument;
  if ((doc.requests === undefined) !== (doc.version === 1)) return { ok: false, message: `snapshot is malformed: version ${doc.version} ${doc.version === 1 ? "holds" : "lacks"} remembered requests` };
  const inconsistency = consistencyProblem(doc);
  if (inconsistency) return { ok: false, message: `snapshot is inconsistent: ${inconsistency}` };
  const { brokers, topics, producers } = doc;
  const partitions = doc.partitions.map(withLeaderEpoch);
  const image = MetadataImage.fromBody({ brokers, topics, partitions, producers }, doc.nextProducerId);
  const requests = decodeRequests((doc.requests ?? []) as StoredRequest[], doc.appliedIndex, requestBounds, imageSource(image));
  if (!requests.ok) return { ok: false, message: `snapshot is inconsistent: ${requests.message}` };
  return { ok: true, value: { appliedIndex: doc.appliedIndex, image, requests: requests.value } };
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
