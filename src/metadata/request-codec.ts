// The remembered request ids as a snapshot holds them (the "requests" array of a version 2
// snapshot, oldest first): schema, consistency checks and the one rendering of an entry that both
// snapshot encoders write, so equal tables give byte-identical snapshots.
import { Type } from "@sinclair/typebox";
import { freezeRecord } from "./apply-result.ts";
import { isMetadataErrorCode } from "./errors.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "./limits.ts";
import { MetadataRecord } from "./records.ts";
import { RequestTable, type RememberedRequest, type RequestTableBounds } from "./request-table.ts";

export const RememberedRequestSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH + 2 }),
  hash: Type.String({ maxLength: 64 }),
  offset: Type.Integer({ minimum: 1 }),
  at: Type.Integer(),
  result: Type.Union([
    Type.Object({ ok: Type.Literal(true), records: Type.Array(MetadataRecord) }),
    Type.Object({ ok: Type.Literal(false), error: Type.Object({ code: Type.String(), message: Type.String() }) }),
  ]),
});

/** One entry's JSON, keys in a fixed order whatever order the object was built in. */
export function encodeRememberedRequest(entry: RememberedRequest): string {
  const { id, hash, offset, at, result } = entry;
  const body = result.ok ? { ok: true, records: result.records } : { ok: false, error: { code: result.error.code, message: result.error.message } };
  return JSON.stringify({ id, hash, offset, at, result: body });
}

/** What is wrong with a schema-checked list of entries from a snapshot taken at `appliedIndex`, or null. */
export function requestsProblem(entries: readonly RememberedRequest[], appliedIndex: number, bounds: RequestTableBounds): string | null {
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

/** The table a snapshot's (checked) entries describe; over the bounds, the oldest are dropped. */
export function requestTableOf(entries: readonly RememberedRequest[], bounds: RequestTableBounds): RequestTable {
  for (const entry of entries) if (entry.result.ok) for (const record of entry.result.records) freezeRecord(record);
  return RequestTable.fromEntries(entries, bounds);
}
