// One metadata record as a JSON answer, encoded once per record object. Records in the image are
// frozen and replaced, never changed, on every commit that touches them (metadata/image.ts), so a
// body kept per object (a WeakMap) can never outlive the state it shows: a write that changes a
// broker makes a new record, whose first read encodes it again, and the old body goes with the old
// record. Every linearizable read of an unchanged broker, the hot read of the benchmark, then
// skips the JSON encoding and writes the same bytes (a Response over a Blob shares them).
import { recordJson } from "../metadata/record-json.ts";
import type { MetadataRecord } from "../metadata/records.ts";

/** The type Elysia gives the JSON answers it encodes itself (answer-response.ts says the same). */
export const JSON_TYPE = "application/json;charset=utf-8";

/** Headers of a JSON answer written by us; frozen, so Response copies them and no answer can change them. */
export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": JSON_TYPE });

const bodies = new WeakMap<MetadataRecord, Blob>();

/** The record's JSON bytes: encoded by the first asker, shared while the record is current. */
export function recordBody(record: MetadataRecord): Blob {
  let body = bodies.get(record);
  if (body === undefined) {
    // A record that could still change would make a kept body lie about it later.
    if (!Object.isFrozen(record) || !Object.isFrozen(record.fields)) throw new TypeError(`record ${record.name} at offset ${record.offset} is not frozen; its body cannot be kept`);
    body = new Blob([recordJson(record)], { type: JSON_TYPE });
    bodies.set(record, body);
  }
  return body;
}

/**
 * A route's mapResponse hook: a record answer becomes a Response over its kept body; anything
 * else (an error, a status answer) is left to Elysia.
 */
export function recordResponse({ responseValue }: { responseValue: unknown }): Response | undefined {
  // The type goes in the headers too: a Blob's own type does not survive Elysia's answer path (the
  // answer went out with no Content-Type). The init object is copied, never shared.
  return isRecord(responseValue) ? new Response(recordBody(responseValue), { headers: JSON_HEADERS }) : undefined;
}

/**
 * A record's 200 answer over its kept body, for a fast route (Bun's router writes it as it is):
 * the Blob's type is its Content-Type, so no headers object is copied per read (a Response with an
 * init object cost about three times one without, the hot read's largest answer cost).
 */
export function recordAnswer(record: MetadataRecord): Response {
  return new Response(recordBody(record));
}

function isRecord(value: unknown): value is MetadataRecord {
  return typeof value === "object" && value !== null && "fields" in value && "offset" in value;
}
