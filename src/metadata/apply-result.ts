// What applying one command yields: its records, or why it was rejected (and nothing changed).
// JSON-serializable, because a forwarded proposal's result crosses the wire.
import type { MetadataErrorCode } from "./errors.ts";
import type { MetadataRecord } from "./records.ts";

/** "internal": the state machine itself failed (a bug), not the caller's mistake. */
export type ApplyErrorCode = MetadataErrorCode | "internal";

export interface ApplyError {
  code: ApplyErrorCode;
  message: string;
}

export type ApplyResult = { ok: true; records: MetadataRecord[] } | { ok: false; error: ApplyError };

export function accepted(records: MetadataRecord[]): ApplyResult {
  return { ok: true, records };
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
