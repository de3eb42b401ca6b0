// The Idempotency-Key header of a write: passed to the metadata service, which checks its form
// (request-ids.ts) and answers a retry under the same key with the first answer (README). The few
// POST/PUT/DELETE routes that are not one replicated write refuse the header (refuseIdempotencyKey)
// rather than ignore it, so a client never believes a retry of theirs is exactly-once when it is not.
import { badRequest } from "../metadata/errors.ts";
import type { WriteOptions } from "../metadata/service-types.ts";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** A write without a key: one frozen object for all of them, not one per request. */
const NO_KEY: WriteOptions = Object.freeze({});

/** The write's options from its request; a header given but empty is passed on (and refused there). */
export function writeOptionsOf(request: Request): WriteOptions {
  const key = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  return key === null ? NO_KEY : { idempotencyKey: key };
}

/**
 * For a route that is not one replicated write, so has no first answer to give a retry again: a
 * request carrying Idempotency-Key (even an empty one) is 400 bad_request, saying why, and nothing
 * is done. `route` is "METHOD /path" as docs/api.md writes it; `why` says what a retry does instead.
 */
export function refuseIdempotencyKey(request: Request, route: string, why: string): void {
  if (request.headers.get(IDEMPOTENCY_KEY_HEADER) === null) return;
  throw badRequest(`Idempotency-Key is not taken by ${route}: ${why}; send the request without it`);
}
