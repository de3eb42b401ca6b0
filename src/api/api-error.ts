// Errors raised by the HTTP layer itself (not by the metadata service or the node). Each has a
// stable `code` clients can match on and the HTTP status it is answered with.

export type ApiErrorCode =
  | "bad_request"
  | "malformed_json"
  | "payload_too_large"
  | "not_found"
  | "method_not_allowed"
  | "invalid"
  | "internal"
  | "unauthorized"
  | "forbidden"
  | "too_many_streams"
  | "cursor_expired";

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    /** Headers the answer must carry (e.g. Allow on a 405, WWW-Authenticate on a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class MalformedJsonError extends ApiError {
  constructor(reason: string) {
    super("malformed_json", 400, `the request body is not valid JSON: ${reason}`);
  }
}

export class NestingTooDeepError extends ApiError {
  constructor(problem: string) {
    super("bad_request", 400, `the request body is refused: ${problem}`);
  }
}

export class BadContentLengthError extends ApiError {
  constructor(value: string) {
    super("bad_request", 400, `the Content-Length header must be a byte count, got ${JSON.stringify(value.slice(0, 40))}`);
  }
}

export class BodyTooLargeError extends ApiError {
  constructor(size: number | string, limit: number) {
    super("payload_too_large", 413, `the request body is ${size} bytes; at most ${limit} bytes are accepted`);
  }
}

export class RouteNotFoundError extends ApiError {
  constructor(method: string, path: string) {
    super("not_found", 404, `no route ${method} ${path}`);
  }
}

export class InvalidInputError extends ApiError {
  constructor(message: string) {
    super("invalid", 422, message);
  }
}

/** No usable `Authorization: Bearer` token on a node that requires one. */
export class UnauthorizedError extends ApiError {
  constructor(reason: string) {
    super("unauthorized", 401, reason, { "www-authenticate": 'Bearer realm="yakt"' });
  }
}

/** A known token whose role is too small for the route. */
export class ForbiddenError extends ApiError {
  constructor(needed: string, held: string, route: string) {
    super("forbidden", 403, `${route} needs the ${needed} role; this token has the ${held} role`);
  }
}

/** Past the bound of snapshot answers streamed at once (limits.ts maxImageStreams). */
export class TooManyStreamsError extends ApiError {
  constructor(limit: number) {
    super("too_many_streams", 503, `this node already streams ${limit} full metadata images, its bound; retry shortly, ask another node, or fetch with since`, { "retry-after": "1" });
  }
}

/** A cursor whose frozen view this node no longer holds (evicted, expired, or never here). */
export class CursorExpiredError extends ApiError {
  constructor(offset: number, views: number, ttlMs: number) {
    super(
      "cursor_expired",
      410,
      `the frozen view at offset ${offset} that this cursor names is gone from this node (it keeps ${views} views, each for ${ttlMs} ms after its last page); start again without cursor`,
    );
  }
}
