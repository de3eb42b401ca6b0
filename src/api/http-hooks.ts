// The app-wide lifecycle: the request target (below), body size bound, query sanity, the JSON body
// parser, a schema check of bodies ahead of Elysia's (body-check.ts), error mapping (after
// draining the body of a request refused unread, drain-body.ts; a path served under other methods
// answers 405), request metrics, and the one place every answer's final status is known (the
// audit line hooks in here). Installed first so it covers every route module used after it.
import { type AnyElysia, Elysia, ElysiaCustomStatusResponse } from "elysia";
import { type AnswerHooks, countAnswer, errorAnswer, shortPath } from "./answer-hooks.ts";
import { ApiError } from "./api-error.ts";
import type { AnswerServer } from "./auth-guard.ts";
import { allowedMethods, MethodNotAllowedError } from "./allowed-methods.ts";
import { bodyChecker } from "./body-check.ts";
import { pathOf } from "./request-path.ts";
import { checkDeclaredLength, readJsonBody } from "./json-body.ts";
import type { ApiLimits } from "./limits.ts";
import { checkQuery } from "./query-check.ts";

export type { ApiLogger } from "./answer-hooks.ts";

export interface HttpHooksOptions extends AnswerHooks {
  limits: ApiLimits;
  /** The finished app, whose routes' body schemas are checked before Elysia's validation. */
  app: () => AnyElysia;
}

/** The route a request refused before routing (its target, its length, its query) is counted under. */
export const UNMATCHED_ROUTE = "unmatched";

// The request target. Elysia finds a URL's path with `url.indexOf("/", 11)` (its composed
// handlers; dynamic-handle.mjs and utils.mjs getPath alike): it assumes "http://" and an authority
// of at least 4 characters. Bun builds request.url from the Host header, so `Host: x` (or `ab`,
// `abc`: a docker service named "api") made Elysia drop the first path segment — DELETE
// /zz/v1/topics/victim deleted topic victim, unaudited, as the guard saw the real path — and with
// no Host at all (HTTP/1.0) or one Bun will not put in a URL, request.url is the bare path. CONNECT's
// authority-form (`CONNECT x`) is not a URL at all, and a Host such as `%zz` makes one that does not
// parse. Every request passes plainTarget before Elysia or a fast route reads its path (a regular
// expression, no allocation); the rare one that fails is given, in place, a URL with the same path
// and query under STAND_IN_HOST, or is refused with 400.

/** Elysia looks for the path from this index on: "http://" and 4 characters. */
const ELYSIA_PATH_FROM = 11;

/** The authority of a URL whose own is absent or shorter than Elysia assumes (RFC 6761's reserved name); the Host header is left as it came. */
export const STAND_IN_HOST = "host.invalid";

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/** A DNS label WHATWG's URL parser takes as is (not punycode, which may not decode). */
const LABEL = "(?![Xx][Nn]--)[A-Za-z0-9_-]+";
/** Its last label starts with a letter, so the parser never reads the name as an IPv4 address. */
const NAME = `(?:${LABEL}\\.)*(?![Xx][Nn]--)[A-Za-z][A-Za-z0-9_-]*\\.?`;
const PORT = "(?::(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d\\d|6[0-4]\\d{3}|[1-5]\\d{4}|\\d{1,4}))?";
/** A URL whose authority always parses: a dotted-quad address or such a name, with a port that fits. */
const PLAIN_URL = new RegExp(`^https?://(?:${OCTET}(?:\\.${OCTET}){3}|${NAME})${PORT}/`);

/**
 * True when every reader of a path — Elysia, Bun's router, the fast routes, the token guard and
 * audit line, the error messages — reads `url` alike as it is: http(s), an authority that parses
 * and is at least as long as Elysia assumes, then the path. False is rare: see normalizeTarget.
 */
export function plainTarget(url: string): boolean {
  return url.indexOf("/", 8) >= ELYSIA_PATH_FROM && PLAIN_URL.test(url);
}

const quoted = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** Gives `request` the URL `url` in place: the same object, so its body, signal, socket address and every WeakMap key stay. */
function retarget(request: Request, url: string): void {
  Object.defineProperty(request, "url", { value: url, configurable: true, enumerable: true });
}

/**
 * For a request whose URL is not plain: null once it may be served — its URL given the stand-in
 * authority, same path and query, when its own was absent or too short — or the 400 of a target
 * that is not a path (CONNECT's authority-form) or of a Host that does not parse (RFC 9112 §3.2),
 * its URL made one every reader can parse first (the path kept where there is one).
 */
export function normalizeTarget(request: Request): ApiError | null {
  const url = request.url;
  if (url.startsWith("/")) {
    // Bun leaves the authority out when there is no Host (HTTP/1.0) or an empty one, and when the
    // Host is one it will not put in a URL (a space, "/", "@", a byte past ASCII).
    const host = request.headers.get("host");
    retarget(request, `http://${STAND_IN_HOST}${url}`);
    return host ? new ApiError("bad_request", 400, `the Host header ${quoted(host)} is not a host name`) : null;
  }
  const scheme = url.startsWith("https://") ? "https" : url.startsWith("http://") ? "http" : null;
  const start = scheme === null ? -1 : url.indexOf("/", scheme.length + 3);
  if (scheme === null || start < 0) {
    retarget(request, `http://${STAND_IN_HOST}/`);
    return new ApiError("bad_request", 400, `the request target ${quoted(url)} is not a path; this API serves paths such as /v1/topics`);
  }
  if (!URL.canParse(url)) {
    retarget(request, `${scheme}://${STAND_IN_HOST}${url.slice(start)}`);
    return new ApiError("bad_request", 400, `the Host header ${quoted(request.headers.get("host") ?? url.slice(scheme.length + 3, start))} is not a host name`);
  }
  if (start < ELYSIA_PATH_FROM) retarget(request, `${scheme}://${STAND_IN_HOST}${url.slice(start)}`);
  return null;
}

function statusOf(response: unknown, fallback: unknown): number {
  if (response instanceof Response) return response.status;
  if (response instanceof ElysiaCustomStatusResponse) return Number(response.code);
  const status = Number(fallback ?? 200);
  return Number.isInteger(status) ? status : 200;
}

export function httpHooks(options: HttpHooksOptions) {
  const { limits, now, app } = options;
  const checkBody = bodyChecker(app);
  const methodsOf = allowedMethods(app);
  /** A path that exists under other methods is a 405 with Allow, not a 404. */
  const notFoundOrNotAllowed = (request: Request, error: unknown): unknown => {
    // The path as Elysia found no route for it (a URL here passed normalizeTarget; nothing is parsed).
    const allowed = methodsOf(pathOf(request.url));
    return allowed.length > 0 ? new MethodNotAllowedError(request.method, shortPath(request.url), allowed) : error;
  };
  const started = new WeakMap<Request, number>();
  // Error answers pass through onError and, for some kinds, mapResponse too: count each once.
  const recorded = new WeakSet<Request>();
  const record = (request: Request, route: string | undefined, status: number, server: AnswerServer) => {
    if (recorded.has(request)) return;
    recorded.add(request);
    countAnswer(options, request, route || UNMATCHED_ROUTE, status, started.get(request) ?? now(), server);
  };
  /** The 400 of a request target normalizeTarget refused: counted and told to the listener as any refusal before routing. */
  const refuseTarget = async (request: Request, error: ApiError): Promise<Response> => {
    started.set(request, now());
    const response = await errorAnswer(options, limits.maxBodyBytes, "UNKNOWN", error, request);
    record(request, UNMATCHED_ROUTE, response.status, app().server);
    return response;
  };
  return new Elysia({ name: "yakt-http-hooks" })
    // Elysia's wrapper of its own handlers, run before either reads the URL: the one place every
    // request enters Elysia, from Bun's router (a route of Elysia's or a fast route handing on)
    // or its fallback fetch. A plain target passes untouched.
    .wrap((handle, request) => {
      if (plainTarget(request.url)) return handle;
      const refused = normalizeTarget(request);
      return refused === null ? handle : () => refuseTarget(request, refused);
    })
    .onRequest(({ request }) => {
      started.set(request, now());
      // Bun drops a GET's or HEAD's body itself (drain-body.ts), so no length of one matters, and
      // the hot reads skip building the request's Headers (a few per cent of a read's CPU).
      if (request.method !== "GET" && request.method !== "HEAD") checkDeclaredLength(request, limits.maxBodyBytes);
      checkQuery(request.url);
    })
    .onParse({ as: "global" }, ({ request }) => readJsonBody(request, limits.maxBodyBytes))
    .onTransform({ as: "global" }, ({ request, route, body }) => checkBody(request.method, route, body))
    .onError({ as: "global" }, async ({ code, error: raw, request, route, server }) => {
      const error = code === "NOT_FOUND" ? notFoundOrNotAllowed(request, raw) : raw;
      const response = await errorAnswer(options, limits.maxBodyBytes, code, error, request);
      record(request, route, response.status, server);
      return response;
    })
    .mapResponse({ as: "global" }, ({ request, route, responseValue, set, server }) => {
      record(request, route, statusOf(responseValue, set.status), server);
    });
}
