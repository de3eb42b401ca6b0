// The machinery of the fast routes: the hot routes a listening node serves from Bun's router
// (Bun.serve `routes`) ahead of Elysia. Elysia's handler, context, hook dispatch and second
// validation cost a node 5–10 µs of the ~30 a request took it over a socket (README, "Cutting the
// cost of a poll"). A fast route does the work of its Elysia route and of the app's hooks
// (http-hooks.ts, auth-guard.ts) in the same order and with the same functions: the declared
// length, the bearer token and its role (on a node with --auth-tokens), the bounded JSON body,
// the same compiled schema check of the body and then of the path parameter, with the same
// messages, the route's own work, the error mapping after draining an unread body, the request
// metrics under the route's template and the answer listener (audit). What it would not answer
// exactly as Elysia does — another method, a query string, a path that is not the plain
// template (a percent-encoded or extra segment), a URL that is not plain (no authority, or one
// shorter than Elysia assumes or that does not parse: http-hooks.ts, plainTarget) — goes to
// Elysia's handler unchanged, which gives such a URL its stand-in authority or refuses it.
import type { Static, TObject, TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { invariant } from "../node/errors.ts";
import { countAnswer, errorAnswer } from "./answer-hooks.ts";
import { ApiError, InvalidInputError } from "./api-error.ts";
import type { AnswerServer, RequestCheck } from "./auth-guard.ts";
import { checkBody } from "./body-check.ts";
import { type HttpHooksOptions, plainTarget, UNMATCHED_ROUTE } from "./http-hooks.ts";
import { checkDeclaredLength, parseJsonBody, readBoundedBytes, UNDECLARED } from "./json-body.ts";
import { pathStart } from "./request-path.ts";
import { describeFailure } from "./validation-message.ts";

export type FastMethod = "GET" | "POST" | "PUT";

/** One route served ahead of Elysia: its template, its schemas and its work once they passed. */
export interface FastRoute<B extends TSchema = TSchema> {
  method: FastMethod;
  /** Elysia's template of the route (Bun's router key and the metrics label); at most one parameter, as its last segment. */
  path: string;
  /** The body's schema, for a route that reads a JSON body (every route but a GET). */
  body?: B;
  /** The path parameter's schema, as the Elysia route declares it (`{ name: … }`): for a template with a parameter. */
  params?: TObject;
  /** The answer for a request whose body and parameter passed (the parameter as text, "" without one). */
  serve(request: Request, body: Static<B>, param: string): Promise<Response>;
}

/** What every fast route is built with: what the app's hooks are; the finished app serves what a fast route hands on. */
export interface FastRouteContext extends HttpHooksOptions {
  /** The token check of Elysia's auth hook (auth-guard.ts); null on a node without --auth-tokens. Required, so no wiring forgets it. */
  authorize: RequestCheck | null;
}

export type FastHandler = (request: Request, server?: AnswerServer) => Promise<Response>;

/** The routes as Bun.serve's `routes` table: template → method → handler. */
export type FastRouteTable = Record<string, Partial<Record<FastMethod, FastHandler>>>;

/** The template's fixed part and its parameter's name ("" for a template without one). */
function splitTemplate(path: string): { prefix: string; name: string } {
  const at = path.indexOf("/:");
  if (at < 0) return { prefix: path, name: "" };
  const name = path.slice(at + 2);
  invariant(name.length > 0 && !name.includes("/") && !name.includes(":"), () => `a fast route's parameter must be its template's last segment, got ${path}`);
  return { prefix: path.slice(0, at + 1), name };
}

/**
 * The path parameter of `url` (a plain target: http-hooks.ts) under the template (prefix +
 * parameter), "" for a template without one, or null when the URL is not the plain template: a
 * query string, a percent-encoding (Elysia decodes it), another or an extra segment.
 */
function paramOf(url: string, prefix: string, hasParam: boolean): string | null {
  const start = pathStart(url);
  if (start < 0 || url.includes("?", start)) return null;
  if (!hasParam) return url.length - start === prefix.length && url.startsWith(prefix, start) ? "" : null;
  if (!url.startsWith(prefix, start)) return null;
  const param = url.slice(start + prefix.length);
  return param.length === 0 || param.includes("/") || param.includes("%") ? null : param;
}

/** Throws InvalidInputError, worded as Elysia's validation of path parameters is, when `params` fails `check`. */
function checkParams(check: TypeCheck<TObject>, params: Record<string, string>): void {
  if (check.Check(params)) return;
  throw new InvalidInputError(describeFailure("params", check.Errors(params).First(), params));
}

/** A route's compiled checks: its body's and its path parameter's (null where it has none). */
interface RouteChecks {
  body: TypeCheck<TSchema> | null;
  params: TypeCheck<TObject> | null;
  /** The parameter's name in the template. */
  name: string;
  maxBytes: number;
}

/**
 * What Elysia's onRequest hooks refuse before routing, in their order: the declared length
 * (http-hooks.ts; a GET's body is never read) and then the token (auth-guard.ts). The query check
 * between them has nothing to do: a URL with a query string is handed on. Returns the declared
 * length (UNDECLARED for a GET or a body without one), so the body's reader need not look again.
 */
function checkBeforeRouting(request: Request, checks: RouteChecks, authorize: RequestCheck | null): number {
  const declared = checks.body === null ? UNDECLARED : checkDeclaredLength(request, checks.maxBytes);
  if (authorize !== null) authorize(request);
  return declared;
}

/** The body, once read and parsed, checked against its schema; then the parameter: in the order Elysia's lifecycle checks them. */
function checkParsed(checks: RouteChecks, body: unknown, param: string): void {
  if (checks.body !== null) checkBody(checks.body, body);
  if (checks.params !== null) checkParams(checks.params, { [checks.name]: param });
}

/** Elysia's kind of a failure: PARSE for one while the body was read or parsed that is not one of ours, else UNKNOWN. */
function failureKind(reading: boolean, error: unknown): "PARSE" | "UNKNOWN" {
  return reading && !(error instanceof ApiError) ? "PARSE" : "UNKNOWN";
}

/** The handler Bun's router calls for `route`. */
export function fastHandler<B extends TSchema>(context: FastRouteContext, route: FastRoute<B>): FastHandler {
  const { prefix, name } = splitTemplate(route.path);
  invariant((name === "") === (route.params === undefined), () => `fast route ${route.method} ${route.path}: a parameter and its schema go together`);
  invariant((route.method === "GET") === (route.body === undefined), () => `fast route ${route.method} ${route.path}: every route but a GET reads a body`);
  const checks: RouteChecks = {
    body: route.body === undefined ? null : TypeCompiler.Compile(route.body),
    params: route.params === undefined ? null : TypeCompiler.Compile(route.params),
    name,
    maxBytes: context.limits.maxBodyBytes,
  };
  const refuse = async (request: Request, server: AnswerServer, started: number, kind: "PARSE" | "UNKNOWN", error: unknown, counted: string): Promise<Response> => {
    const response = await errorAnswer(context, checks.maxBytes, kind, error, request);
    countAnswer(context, request, counted, response.status, started, server);
    return response;
  };
  // One async frame per request: the body is read with one await, parsed and checked in line, and
  // the route's own promise awaited; no async layer, .catch closure or failure wrapper per step.
  return async (request, server) => {
    const url = request.url;
    const param = request.method === route.method && plainTarget(url) ? paramOf(url, prefix, name !== "") : null;
    if (param === null) return context.app().fetch(request);
    const started = context.now();
    let declared: number;
    try {
      declared = checkBeforeRouting(request, checks, context.authorize);
    } catch (error) {
      // Elysia's hooks refuse it before routing: counted as no route's.
      return refuse(request, server, started, "UNKNOWN", error, UNMATCHED_ROUTE);
    }
    let reading = checks.body !== null;
    try {
      const body = reading ? parseJsonBody(await readBoundedBytes(request, checks.maxBytes, declared)) : undefined;
      reading = false;
      checkParsed(checks, body, param);
      const response = await route.serve(request, body as Static<B>, param);
      countAnswer(context, request, route.path, response.status, started, server);
      return response;
    } catch (error) {
      return refuse(request, server, started, failureKind(reading, error), error, route.path);
    }
  };
}

/**
 * The fast routes an app was built with (Elysia keeps them in its serve options until it listens),
 * so that a caller can run one without a listener: the start-up warm-up (warm-up.ts), tests.
 */
export function fastRoutesOf(app: { config: { serve?: unknown } }): FastRouteTable {
  const serve = app.config.serve as { routes?: FastRouteTable } | undefined;
  return serve?.routes ?? {};
}

/** Bun.serve's `routes` for `routes`; two on the same template and method would hide one. */
export function fastRouteTable(context: FastRouteContext, routes: readonly FastRoute[]): FastRouteTable {
  const table: FastRouteTable = {};
  for (const route of routes) {
    const methods = (table[route.path] ??= {});
    invariant(methods[route.method] === undefined, () => `two fast routes for ${route.method} ${route.path}`);
    methods[route.method] = fastHandler(context, route);
  }
  return table;
}
