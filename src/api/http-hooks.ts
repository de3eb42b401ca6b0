// The app-wide lifecycle: body size bound, query sanity, the JSON body parser, a schema check of
// bodies ahead of Elysia's (body-check.ts), error mapping (after draining the body of a request
// refused unread, drain-body.ts; a path served under other methods answers 405), request
// metrics, and the one place every answer's final status is known (the audit line hooks in here).
// Installed first so it covers every route module used after it.
import { type AnyElysia, Elysia, ElysiaCustomStatusResponse } from "elysia";
import type { AnswerServer } from "./auth-guard.ts";
import { allowedMethods, MethodNotAllowedError } from "./allowed-methods.ts";
import { bodyChecker } from "./body-check.ts";
import { drainUnreadBody } from "./drain-body.ts";
import { errorResponse, mapError } from "./errors.ts";
import { checkDeclaredLength, readJsonBody } from "./json-body.ts";
import type { ApiLimits } from "./limits.ts";
import { checkQuery } from "./query-check.ts";
import type { RequestMetrics } from "./request-metrics.ts";

export type ApiLogger = (event: string, fields: Record<string, unknown>) => void;

export interface HttpHooksOptions {
  limits: ApiLimits;
  requests: RequestMetrics;
  /** Milliseconds from an arbitrary origin, for request latency. */
  now: () => number;
  log: ApiLogger;
  /** The finished app, whose routes' body schemas are checked before Elysia's validation. */
  app: () => AnyElysia;
  /** Told of every answer once, with its final status (the audit line of auth-guard.ts). */
  answered?: (request: Request, status: number, server: AnswerServer) => void;
}

const MAX_PATH_IN_MESSAGE = 200;
/** The route a request refused before routing (its length, its query) is counted under. */
export const UNMATCHED_ROUTE = "unmatched";

function statusOf(response: unknown, fallback: unknown): number {
  if (response instanceof Response) return response.status;
  if (response instanceof ElysiaCustomStatusResponse) return Number(response.code);
  const status = Number(fallback ?? 200);
  return Number.isInteger(status) ? status : 200;
}

function shortPath(url: string): string {
  const path = new URL(url).pathname;
  return path.length > MAX_PATH_IN_MESSAGE ? `${path.slice(0, MAX_PATH_IN_MESSAGE)}…` : path;
}

export function httpHooks({ limits, requests, now, log, app, answered }: HttpHooksOptions) {
  const checkBody = bodyChecker(app);
  const methodsOf = allowedMethods(app);
  /** A path that exists under other methods is a 405 with Allow, not a 404. */
  const notFoundOrNotAllowed = (request: Request, error: unknown): unknown => {
    const allowed = methodsOf(new URL(request.url).pathname);
    return allowed.length > 0 ? new MethodNotAllowedError(request.method, shortPath(request.url), allowed) : error;
  };
  const started = new WeakMap<Request, number>();
  // Error answers pass through onError and, for some kinds, mapResponse too: count each once.
  const recorded = new WeakSet<Request>();
  const record = (request: Request, route: string | undefined, status: number, server: AnswerServer) => {
    if (recorded.has(request)) return;
    recorded.add(request);
    const start = started.get(request) ?? now();
    requests.record(request.method, route || UNMATCHED_ROUTE, status, (now() - start) / 1000);
    if (answered === undefined) return;
    try {
      answered(request, status, server);
    } catch (error) {
      // An audit sink that fails must not turn an answered request into a 500.
      log("answer_listener_failed", { method: request.method, path: shortPath(request.url), error: error instanceof Error ? error.message : String(error) });
    }
  };
  return new Elysia({ name: "yakt-http-hooks" })
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
      await drainUnreadBody(request, limits.maxBodyBytes);
      const error = code === "NOT_FOUND" ? notFoundOrNotAllowed(request, raw) : raw;
      const mapped = mapError(code, error, request.method, shortPath(request.url));
      record(request, route, mapped.status, server);
      if (mapped.internal) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        log("http_internal_error", { method: request.method, path: shortPath(request.url), error: detail });
      }
      return errorResponse(mapped);
    })
    .mapResponse({ as: "global" }, ({ request, route, responseValue, set, server }) => {
      record(request, route, statusOf(responseValue, set.status), server);
    });
}
