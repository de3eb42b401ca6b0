// What applying one command yields: its records, or why it was rejected (and nothing changed).
// JSON-serializable, because a forwarded proposal's result crosses the wire.
import type { MetadataErrorCode } from "./errors.ts";
import type { MetadataRecord, PartitionRecord } from "./records.ts";
import { internReplicas } from "./replica-lists.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** "internal": the state machine itself failed (a bug), not the caller's mistake. */
export type ApplyErrorCode = MetadataErrorCode | "internal";

export interface ApplyError {
  code: ApplyErrorCode;
  message: string;
}

export type ApplyResult = { ok: true; records: MetadataRecord[] } | { ok: false; error: ApplyError };

/** Records are shared by the image, the history and every reader, so none may change them. */
export function accepted(records: MetadataRecord[]): ApplyResult {
  for (const record of records) freezeRecord(record);
  return { ok: true, records };
}

/**
 * Freezes a record in place. Only a partition holds arrays: its four lists are swapped for shared
 * interned ones (frozen already), which also spares a freeze per list (JSC makes a frozen array
 * sparse, and freezing is not cheap: a 1M-partition restore spent most of its time here). Its
 * fields are rebuilt in the spec's key order, whatever order they came in, so every partition
 * record the image holds has that order (record-json.ts writes them by it). Fields frozen already
 * hold interned lists in that order: only this function, newPartition and the binary snapshot
 * reader (readPartition) freeze them.
 */
export function freezeRecord<R extends MetadataRecord>(record: R): R {
  if (record.name === "PartitionRecord" && !Object.isFrozen(record.fields)) {
    const f = record.fields;
    (record as Mutable<PartitionRecord>).fields = {
      partitionId: f.partitionId,
      topicUUID: f.topicUUID,
      replicas: internReplicas(f.replicas) as number[],
      ISR: internReplicas(f.ISR) as number[],
      removingReplicas: internReplicas(f.removingReplicas) as number[],
      addingReplicas: internReplicas(f.addingReplicas) as number[],
      leader: f.leader,
      partitionEpoch: f.partitionEpoch,
      leaderEpoch: f.leaderEpoch,
    };
  }
  Object.freeze(record.fields);
  return Object.freeze(record);
}

export function rejected(code: ApplyErrorCode, message: string): ApplyResult {
  return { ok: false, error: { code, message } };
}

export function isApplyResult(value: unknown): value is ApplyResult {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { ok?: unknown; records?: unknown; error?: { code?: unknown; message?: unknown } };
  if (v.ok === true) return Array.isArray(v.records);
  return v.ok === false && typeof v.error?.code === "string" && typeof v.error.message === "string";
}
