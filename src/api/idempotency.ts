// The Idempotency-Key header of a write: passed to the metadata service, which checks its form
// (request-ids.ts) and answers a retry under the same key with the first answer (README).
import type { WriteOptions } from "../metadata/service-types.ts";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** A write without a key: one frozen object for all of them, not one per request. */
const NO_KEY: WriteOptions = Object.freeze({});

/** The write's options from its request; a header given but empty is passed on (and refused there). */
export function writeOptionsOf(request: Request): WriteOptions {
  const key = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  return key === null ? NO_KEY : { idempotencyKey: key };
}
