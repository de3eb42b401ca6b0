// Request ids of write commands (exactly-once writes, Raft thesis §6.3). Every write carries one:
// the client's Idempotency-Key ("k:" + key), or an id the node that first received the write made
// up ("n:" + a fresh id), so the node's own retries and re-routes cannot apply a write twice. Two
// namespaces, so a client can never name an id a node generated. With the id goes a fingerprint
// of what the write asks for, so a key reused for a different request is refused, not replayed.
import { Type } from "@sinclair/typebox";
import { badRequest } from "./errors.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "./limits.ts";

const KEY_CHARS = "A-Za-z0-9._:~+/=-";
const KEY_PATTERN = new RegExp(`^[${KEY_CHARS}]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);
const CLIENT_PREFIX = "k:";
const NODE_PREFIX = "n:";

/** The fields every write command may carry (absent in entries written before request ids). */
export const REQUEST_FIELDS = {
  requestId: Type.Optional(Type.String({ pattern: `^[kn]:[${KEY_CHARS}]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$` })),
  requestHash: Type.Optional(Type.String({ pattern: "^[0-9a-f]{32}$" })),
};

/** The request id for a client's Idempotency-Key; a malformed key is a bad_request (nothing written). */
export function clientRequestId(key: string): string {
  if (!KEY_PATTERN.test(key)) {
    const shown = key.length > 40 ? `${JSON.stringify(key.slice(0, 40))}… (${key.length} characters)` : JSON.stringify(key);
    throw badRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters of A-Z a-z 0-9 . _ : ~ + / = -, got ${shown}`);
  }
  return CLIENT_PREFIX + key;
}

/** The request id a node gives a write that came without a key. */
export function nodeRequestId(freshId: string): string {
  if (!KEY_PATTERN.test(freshId)) throw new Error(`generated request id ${JSON.stringify(freshId)} is not a valid id`);
  return NODE_PREFIX + freshId;
}

/** True for an id a client chose (its Idempotency-Key). */
export function isClientRequestId(requestId: string | undefined): boolean {
  return requestId?.startsWith(CLIENT_PREFIX) === true;
}

/** How an id is shown to people: the client's own key, or the id a node made up. */
export function describeRequestId(requestId: string): string {
  return isClientRequestId(requestId) ? `Idempotency-Key ${JSON.stringify(requestId.slice(CLIENT_PREFIX.length))}` : `request id ${requestId}`;
}

/**
 * 128 bits of SHA-256 over a canonical rendering of the request (the command the write builds
 * with a fixed stamp, so times and fresh ids never differ between a write and its retry).
 */
export function requestFingerprint(canonical: string): string {
  // Bun's one-shot hash: the same digest as node:crypto's createHash, without a hasher object per write.
  return (Bun.SHA256.hash(canonical, "hex") as string).slice(0, 32);
}
