// What every answered request goes through, whichever path served it (Elysia's lifecycle in
// http-hooks.ts or a fast route from Bun's router, fast-route.ts): the count and latency under its
// route with the answer listener told (the audit line), and the JSON error answer of a refusal —
// after draining a body left unread, with a log line for the server's own faults.
import type { AnswerServer } from "./auth-guard.ts";
import { drainUnreadBody } from "./drain-body.ts";
import { errorResponse, mapError } from "./errors.ts";
import type { RequestMetrics } from "./request-metrics.ts";

export type ApiLogger = (event: string, fields: Record<string, unknown>) => void;

/** Told of every answer once, with its final status (the audit line of auth-guard.ts). */
export type AnswerListener = (request: Request, status: number, server: AnswerServer) => void;

export interface AnswerHooks {
  requests: RequestMetrics;
  /** Milliseconds from an arbitrary origin, for request latency. */
  now: () => number;
  log: ApiLogger;
  answered?: AnswerListener;
}

const MAX_PATH_IN_MESSAGE = 200;

/** The request's path for messages and log lines, bounded (a path may be ~16 KiB long). */
export function shortPath(url: string): string {
  const path = new URL(url).pathname;
  return path.length > MAX_PATH_IN_MESSAGE ? `${path.slice(0, MAX_PATH_IN_MESSAGE)}…` : path;
}

/** Counts the answer under `route` since `started` and tells the listener, whose failure is logged, never answered. */
export function countAnswer(hooks: AnswerHooks, request: Request, route: string, status: number, started: number, server: AnswerServer): void {
  hooks.requests.record(request.method, route, status, (hooks.now() - started) / 1000);
  if (hooks.answered === undefined) return;
  try {
    hooks.answered(request, status, server);
  } catch (error) {
    // An audit sink that fails must not turn an answered request into a 500.
    hooks.log("answer_listener_failed", { method: request.method, path: shortPath(request.url), error: error instanceof Error ? error.message : String(error) });
  }
}

/** The JSON error answer for `error` (of Elysia's kind `code`), once any unread body is drained; a server fault is logged. */
export async function errorAnswer(hooks: AnswerHooks, maxBodyBytes: number, code: unknown, error: unknown, request: Request): Promise<Response> {
  await drainUnreadBody(request, maxBodyBytes);
  const mapped = mapError(code, error, request.method, shortPath(request.url));
  if (mapped.internal) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    hooks.log("http_internal_error", { method: request.method, path: shortPath(request.url), error: detail });
  }
  return errorResponse(mapped);
}
