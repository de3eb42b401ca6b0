// Errors of the metadata layer. `code` is stable (clients match on it); `status` is the HTTP status
// the API answers with; the message says what was wrong and with which value.

export type MetadataErrorCode =
  | "bad_request" // 400: malformed input the schema could not catch
  | "not_found" // 404: unknown broker, topic, snapshot
  | "conflict" // 409: duplicate id/name, closed broker, stale epoch, used producer id
  | "invalid" // 422: well-formed but breaks a rule (ISR ⊄ replicas, bad topic name…)
  | "stale_partition_epoch" // 409: an ISR change made at a partition epoch that is not the current one
  | "not_partition_leader" // 409: an ISR change from a broker that does not lead the partition
  | "idempotency_key_reused"; // 422: an Idempotency-Key already used for a different request

const STATUS: Record<MetadataErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  invalid: 422,
  stale_partition_epoch: 409,
  not_partition_leader: 409,
  idempotency_key_reused: 422,
};

/** True for the codes above (a forwarded reply or a snapshot names them as strings). */
export function isMetadataErrorCode(code: unknown): code is MetadataErrorCode {
  return typeof code === "string" && Object.hasOwn(STATUS, code);
}

export class MetadataError extends Error {
  readonly status: number;
  constructor(
    readonly code: MetadataErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export const notFound = (message: string) => new MetadataError("not_found", message);
export const conflict = (message: string) => new MetadataError("conflict", message);
export const invalid = (message: string) => new MetadataError("invalid", message);
export const badRequest = (message: string) => new MetadataError("bad_request", message);
