// The app-wide lifecycle: body size bound, query sanity, the JSON body parser, a schema check of
// bodies ahead of Elysia's (body-check.ts), error mapping (after draining the body of a request
// refused unread, drain-body.ts; a path served under other methods answers 405), request
// metrics, and the one place every answer's final status is known (the audit line hooks in here).
// Installed first so it covers every route module used after it.
import { type AnyElysia, Elysia, ElysiaCustomStatusResponse } from "elysia";
import { type AnswerHooks, countAnswer, errorAnswer, shortPath } from "./answer-hooks.ts";
import type { AnswerServer } from "./auth-guard.ts";
import { allowedMethods, MethodNotAllowedError } from "./allowed-methods.ts";
import { bodyChecker } from "./body-check.ts";
import { checkDeclaredLength, readJsonBody } from "./json-body.ts";
import type { ApiLimits } from "./limits.ts";
import { checkQuery } from "./query-check.ts";

export type { ApiLogger } from "./answer-hooks.ts";

export interface HttpHooksOptions extends AnswerHooks {
  limits: ApiLimits;
  /** The finished app, whose routes' body schemas are checked before Elysia's validation. */
  app: () => AnyElysia;
}

/** The route a request refused before routing (its length, its query) is counted under. */
export const UNMATCHED_ROUTE = "unmatched";

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
    const allowed = methodsOf(new URL(request.url).pathname);
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
      const error = code === "NOT_FOUND" ? notFoundOrNotAllowed(request, raw) : raw;
      const response = await errorAnswer(options, limits.maxBodyBytes, code, error, request);
      record(request, route, response.status, server);
      return response;
    })
    .mapResponse({ as: "global" }, ({ request, route, responseValue, set, server }) => {
      record(request, route, statusOf(responseValue, set.status), server);
    });
}
