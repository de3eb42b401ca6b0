// The records of a remembered result as a snapshot writes them. Most are still in the image (the
// topic a create made, the broker a registration made): such a record is written as a reference
// to the image's record of the same identity and offset instead of in full (measured with 99,000
// remembered topic creations over a 17.6 MB image: +33 MB in full, +22 MB as references; more for
// results with partitions, each about 250 bytes in full). A record the image no longer holds as
// it was (it changed since) is written whole. One entry writes at most one record of each identity, so an
// identity and an offset name exactly one record.
import { Type } from "@sinclair/typebox";
import type { ImageCapture, MetadataImage } from "./image.ts";
import type { MetadataRecord } from "./records.ts";

export interface RecordRef {
  ref: string;
  offset: number;
}

export const RecordRefSchema = Type.Object(
  { ref: Type.String({ minLength: 1, maxLength: 512 }), offset: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

/** The records an image holds, by identity; an image and a capture of it answer alike. */
export interface RecordSource {
  broker(brokerId: number): MetadataRecord | undefined;
  topic(topicUUID: string): MetadataRecord | undefined;
  partition(topicUUID: string, partitionId: number): MetadataRecord | undefined;
  producer(producerId: number): MetadataRecord | undefined;
}

export function imageSource(image: MetadataImage): RecordSource {
  return {
    broker: (id) => image.broker(id),
    topic: (uuid) => image.topicById(uuid),
    partition: (uuid, id) => image.partition(uuid, id),
    producer: (id) => image.producer(id),
  };
}

export function captureSource(capture: ImageCapture): RecordSource {
  return {
    broker: (id) => capture.brokers.get(id),
    topic: (uuid) => capture.topics.get(uuid),
    partition: (uuid, id) => capture.partitions.get(uuid)?.byId.get(id),
    producer: (id) => capture.producers.get(id),
  };
}

/** A reference when `source` holds this very record, else the record itself. */
export function refOrRecord(record: MetadataRecord, source: RecordSource): MetadataRecord | RecordRef {
  const ref = identityOf(record);
  if (ref === null) return record;
  const held = lookup(source, ref);
  return held !== undefined && held.name === record.name && held.offset === record.offset ? { ref, offset: record.offset } : record;
}

/** The image's record a reference names (shared with the image, as before the snapshot), or what is wrong. */
export function resolveRef(item: RecordRef, source: RecordSource): MetadataRecord | string {
  const held = lookup(source, item.ref);
  if (held === undefined) return `reference ${JSON.stringify(item.ref)} names no record of the image`;
  if (held.offset !== item.offset) return `reference ${JSON.stringify(item.ref)} names offset ${item.offset}, the image holds offset ${held.offset}`;
  return held;
}

export function isRecordRef(item: MetadataRecord | RecordRef): item is RecordRef {
  return typeof (item as RecordRef).ref === "string";
}

/** Partition ids come before the topic id, which is free text and may hold ":". */
function identityOf(record: MetadataRecord): string | null {
  switch (record.name) {
    case "RegisterBrokerRecord":
      return `broker:${record.fields.brokerId}`;
    case "TopicRecord":
      return `topic:${record.fields.topicUUID}`;
    case "PartitionRecord":
      return `partition:${record.fields.partitionId}:${record.fields.topicUUID}`;
    case "ProducerIdsRecord":
      return `producer:${record.fields.producerId}`;
    default:
      return null;
  }
}

function lookup(source: RecordSource, ref: string): MetadataRecord | undefined {
  const colon = ref.indexOf(":");
  const kind = ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  switch (kind) {
    case "broker":
      return integer(rest, (id) => source.broker(id));
    case "topic":
      return source.topic(rest);
    case "partition": {
      const split = rest.indexOf(":");
      return split < 0 ? undefined : integer(rest.slice(0, split), (id) => source.partition(rest.slice(split + 1), id));
    }
    case "producer":
      return integer(rest, (id) => source.producer(id));
    default:
      return undefined;
  }
}

function integer<T>(text: string, then: (n: number) => T | undefined): T | undefined {
  const n = /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) ? then(n) : undefined;
}
