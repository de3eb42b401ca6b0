// About how much heap a record keeps alive on its own: what the diff history weighs when it holds
// a record the image no longer holds (event-history.ts). An estimate, not a measurement: the
// record and its fields object, its timestamp and its string fields. Replica lists are left out:
// they are interned and shared by every record with the same list (replica-lists.ts).
import type { MetadataRecord } from "./records.ts";

/** The record object and its frozen fields object (JavaScriptCore, a dozen properties at most). */
export const RECORD_BASE_BYTES = 160;
/** A string's cell besides its characters. */
const STRING_CELL_BYTES = 16;

export function recordBytes(record: MetadataRecord): number {
  let bytes = RECORD_BASE_BYTES + stringBytes(record.timestamp);
  const fields = record.fields as Readonly<Record<string, unknown>>;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "string") bytes += stringBytes(value);
  }
  return bytes;
}

/** A byte a character: Latin-1 text, as these fields hold (other text takes two, and is rare here). */
function stringBytes(text: string): number {
  return STRING_CELL_BYTES + text.length;
}
