// Maps every failure to the one error shape of API.md: `{ error: code, message }` with the right
// status. Callers' mistakes are 4xx; only the server's own faults are 5xx, and those never carry
// a stack or internal detail.
import { ParseError, ValidationError } from "elysia";
import { ConsensusTimeoutError, MembershipError, NoLeaderError, NotLeaderError } from "../node/contracts.ts";
import { MetadataError } from "../metadata/errors.ts";
import { ApiError, RouteNotFoundError } from "./api-error.ts";
import { describeValidation } from "./validation-message.ts";

export interface ErrorBody {
  error: string;
  message: string;
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the fault is the server's: worth a log line. */
  internal: boolean;
}

const RETRY_AFTER = { "retry-after": "1" };

/**
 * The node runtime's own errors (src/node/errors.ts), matched by their stable `code` so the API
 * does not depend on the runtime's classes. Those that retrying shortly may fix carry Retry-After.
 */
const NODE_ERRORS: Record<string, { status: number; retry: boolean }> = {
  overloaded: { status: 503, retry: true },
  proposal_rejected: { status: 422, retry: false },
  snapshot: { status: 409, retry: false },
  forward_failed: { status: 502, retry: true },
};

function nodeError(error: unknown): MappedError | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  const known = typeof code === "string" ? NODE_ERRORS[code] : undefined;
  if (!known || typeof code !== "string") return null;
  return mapped(known.status, code, error.message, known.retry ? RETRY_AFTER : {});
}

function mapped(status: number, error: string, message: string, headers: Record<string, string> = {}): MappedError {
  // 503 and 504 are the cluster's state (no leader, slow quorum), not a fault of this server.
  return { status, body: { error, message }, headers, internal: status >= 500 && status !== 503 && status !== 504 };
}

/** Parse failures arrive wrapped by Elysia; our own parser's error is the cause. */
function unwrap(error: unknown): unknown {
  if (error instanceof ParseError && error.cause instanceof ApiError) return error.cause;
  return error;
}

export function mapError(elysiaCode: unknown, raw: unknown, method: string, path: string): MappedError {
  const error = unwrap(raw);
  if (error instanceof ApiError) return mapped(error.status, error.code, error.message, error.headers);
  if (error instanceof MetadataError) return mapped(error.status, error.code, error.message);
  if (error instanceof ValidationError) return mapped(422, "invalid", describeValidation(error));
  if (error instanceof NoLeaderError) return mapped(503, error.code, error.message, RETRY_AFTER);
  if (error instanceof NotLeaderError) return mapped(503, error.code, error.message, RETRY_AFTER);
  if (error instanceof ConsensusTimeoutError) return mapped(504, error.code, error.message || "the cluster did not answer in time");
  if (error instanceof MembershipError) return mapped(409, error.code, error.message);
  const fromNode = nodeError(error);
  if (fromNode) return fromNode;
  if (elysiaCode === "NOT_FOUND") {
    const notFound = new RouteNotFoundError(method, path);
    return mapped(notFound.status, notFound.code, notFound.message);
  }
  if (elysiaCode === "PARSE" || error instanceof ParseError) {
    return mapped(400, "malformed_json", "the request body could not be parsed");
  }
  return mapped(500, "internal", "the server failed to answer this request; see the node's log");
}

export function errorResponse(error: MappedError): Response {
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", ...error.headers },
  });
}
