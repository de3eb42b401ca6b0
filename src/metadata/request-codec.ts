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
  const outcome = new RequestsDecoding(stored, appliedIndex, bounds, image).step(Number.MAX_SAFE_INTEGER);
  if (outcome === null) throw new Error("an unbounded step left remembered requests undecoded");
  return outcome;
}

/**
 * decodeRequests in bounded steps: a budget of records resolved per step (a 1M-partition image
 * filled by 10,000 topic creations remembers 1M records, most of them references), then the
 * checks and the table at the last step. Null while work remains, then the outcome.
 */
export class RequestsDecoding {
  private readonly entries: RememberedRequest[] = [];
  private next = 0;
  private outcome: DecodeResult<RequestTable> | null = null;

  constructor(
    private readonly stored: readonly StoredRequest[],
    private readonly appliedIndex: number,
    private readonly bounds: RequestTableBounds,
    private readonly image: RecordSource,
  ) {}

  step(budget: number): DecodeResult<RequestTable> | null {
    if (this.outcome !== null) return this.outcome;
    let work = 0;
    while (work < budget && this.next < this.stored.length) {
      const entry = this.stored[this.next++];
      const resolved = this.resolve(entry);
      if (typeof resolved === "string") return (this.outcome = { ok: false, message: `request id ${entry.id}: ${resolved}` });
      this.entries.push(resolved);
      work += 1 + (entry.result.ok ? entry.result.records.length : 0);
    }
    if (this.next < this.stored.length) return null;
    const problem = requestsProblem(this.entries, this.appliedIndex, this.bounds);
    this.outcome = problem === null ? { ok: true, value: RequestTable.fromEntries(this.entries, this.bounds) } : { ok: false, message: problem };
    return this.outcome;
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
