// The remembered request ids as a snapshot holds them (the "requests" array of a version 2
// snapshot, oldest first): schema, consistency checks and the one rendering of an entry that both
// snapshot encoders write, so equal tables give byte-identical snapshots. A result's records that
// the image still holds are written as references to them (record-refs.ts).
import { Type } from "@sinclair/typebox";
import { type ApplyResult, freezeRecord } from "./apply-result.ts";
import type { DecodeResult } from "./commands.ts";
import { isMetadataErrorCode } from "./errors.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "./limits.ts";
import { MetadataRecord } from "./records.ts";
import { type RecordRef, RecordRefSchema, type RecordSource, isRecordRef, refOrRecord, resolveRef } from "./record-refs.ts";
import { RequestTable, type RememberedRequest, type RequestTableBounds } from "./request-table.ts";

export const RememberedRequestSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH + 2 }),
  hash: Type.String({ maxLength: 64 }),
  offset: Type.Integer({ minimum: 1 }),
  at: Type.Integer(),
  result: Type.Union([
    Type.Object({ ok: Type.Literal(true), records: Type.Array(Type.Union([MetadataRecord, RecordRefSchema])) }),
    Type.Object({ ok: Type.Literal(false), error: Type.Object({ code: Type.String(), message: Type.String() }) }),
  ]),
});

/** An entry as a snapshot holds it: records may be references. */
export interface StoredRequest extends Omit<RememberedRequest, "result"> {
  result: { ok: true; records: (MetadataRecord | RecordRef)[] } | (ApplyResult & { ok: false });
}

/** One entry's JSON, keys in a fixed order whatever order the object was built in. */
export function encodeRememberedRequest(entry: RememberedRequest, image: RecordSource): string {
  const { id, hash, offset, at, result } = entry;
  const body = result.ok
    ? { ok: true, records: result.records.map((r) => refOrRecord(r, image)) }
    : { ok: false, error: { code: result.error.code, message: result.error.message } };
  return JSON.stringify({ id, hash, offset, at, result: body });
}

/** The table a snapshot's schema-checked entries describe, references resolved against its image. */
export function decodeRequests(stored: readonly StoredRequest[], appliedIndex: number, bounds: RequestTableBounds, image: RecordSource): DecodeResult<RequestTable> {
  const decoding = new RequestsDecoding(bounds, image);
  for (const entry of stored) {
    const problem = decoding.add(entry);
    if (problem !== null) return { ok: false, message: problem };
  }
  return decoding.finish(appliedIndex);
}

/**
 * decodeRequests an entry at a time, as a snapshot's bytes are read: each entry's references are
 * resolved as it comes, so what was parsed for it (at 1M partitions, 10,000 topic creations
 * remember 1M records, nearly all references) is garbage at once rather than held until the last
 * entry is read; the checks across entries and the table come at the end.
 */
export class RequestsDecoding {
  private readonly entries: RememberedRequest[] = [];

  constructor(
    private readonly bounds: RequestTableBounds,
    private readonly image: RecordSource,
  ) {}

  /** Takes the next entry, oldest first; what is wrong with one of its references, or null. */
  add(entry: StoredRequest): string | null {
    const resolved = this.resolve(entry);
    if (typeof resolved === "string") return `request id ${entry.id}: ${resolved}`;
    this.entries.push(resolved);
    return null;
  }

  /** The table of every entry added, or what is wrong with them together (in a snapshot taken at `appliedIndex`). */
  finish(appliedIndex: number): DecodeResult<RequestTable> {
    const problem = requestsProblem(this.entries, appliedIndex, this.bounds);
    return problem === null ? { ok: true, value: RequestTable.fromEntries(this.entries, this.bounds) } : { ok: false, message: problem };
  }

  /** The entry with its references resolved, or what is wrong with one of them. */
  private resolve(entry: StoredRequest): RememberedRequest | string {
    if (!entry.result.ok) return entry as RememberedRequest;
    const records: MetadataRecord[] = [];
    for (const item of entry.result.records) {
      const record = isRecordRef(item) ? resolveRef(item, this.image) : freezeRecord(item);
      if (typeof record === "string") return record;
      records.push(record);
    }
    return { ...entry, result: { ok: true, records } };
  }
}

/** What is wrong with a list of entries from a snapshot taken at `appliedIndex`, or null. */
function requestsProblem(entries: readonly RememberedRequest[], appliedIndex: number, bounds: RequestTableBounds): string | null {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.result.ok && entry.result.records.length > bounds.maxRecords) {
      return `request id ${entry.id} remembers ${entry.result.records.length} records, over the bound of ${bounds.maxRecords}`;
    }
    if (seen.has(entry.id)) return `request id ${entry.id} is remembered twice`;
    seen.add(entry.id);
    if (entry.offset > appliedIndex) return `request id ${entry.id} was applied at ${entry.offset}, past the snapshot's index ${appliedIndex}`;
    if (!entry.result.ok && !isMetadataErrorCode(entry.result.error.code)) {
      return `request id ${entry.id} remembers an error with unknown code ${JSON.stringify(entry.result.error.code)}`;
    }
  }
  return null;
}
