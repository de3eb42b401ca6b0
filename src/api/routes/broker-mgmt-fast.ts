// The hot path of endpoint 10 (BrokerMgmt), served by Bun's router in front of Elysia. A fleet of
// long-polling brokers sends one of these per broker per commit, and Elysia's handler, context,
// hook dispatch and second validation cost a node 5–10 µs of the 28–34 µs a poll took it over a
// socket (README, "Cutting the cost of a poll"). This does the same work as the Elysia route and its hooks (http-hooks.ts), in
// the same order and with the same functions: the declared length, the bounded JSON body, the same
// compiled schema check and its message, the fetch (replyToFetch), the error mapping after
// draining an unread body, the request metrics under the route's name and the answer listener
// (audit). A request it does not serve exactly as the route would — a query string (wait_ms,
// consistency, paging) or a node with --auth-tokens — goes to Elysia's handler unchanged.
import type { Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { AnyElysia } from "elysia";
import { ApiError } from "../api-error.ts";
import type { AnswerServer } from "../auth-guard.ts";
import { checkBody } from "../body-check.ts";
import type { ApiDeps } from "../deps.ts";
import { drainUnreadBody } from "../drain-body.ts";
import { errorResponse, mapError } from "../errors.ts";
import { type ApiLogger, UNMATCHED_ROUTE } from "../http-hooks.ts";
import { checkDeclaredLength, readJsonBody } from "../json-body.ts";
import { type FetchReply, replyToFetch } from "../metadata-reply.ts";
import { BrokerFetchBody } from "../schemas/metadata-fetch.ts";
import type { BrokerFetchQuery } from "../schemas/queries.ts";
import { waitMsOf } from "../wait.ts";

export const BROKER_MGMT_PATH = "/v1/broker-mgmt/metadata";
const METHOD = "POST";

const checkFetchBody = TypeCompiler.Compile(BrokerFetchBody);

export interface FastPathOptions {
  deps: ApiDeps;
  /** Milliseconds from an arbitrary origin, for request latency. */
  now: () => number;
  log: ApiLogger;
  /** The finished app: what the fast path does not serve, its handler does. */
  app: () => AnyElysia;
  answered?: (request: Request, status: number, server: AnswerServer) => void;
}

/** Thrown while the body was read or parsed: Elysia reports such failures as PARSE. */
class BodyReadFailure {
  constructor(readonly error: unknown) {}
}

/** The handler Bun's router calls for POST /v1/broker-mgmt/metadata (Bun.serve `routes`). */
export function brokerMgmtFastPath({ deps, now, log, app, answered }: FastPathOptions) {
  const finish = (request: Request, server: AnswerServer, started: number, status: number, route = BROKER_MGMT_PATH) => {
    deps.requests.record(METHOD, route, status, (now() - started) / 1000);
    if (answered === undefined) return;
    try {
      answered(request, status, server);
    } catch (error) {
      log("answer_listener_failed", { method: METHOD, path: BROKER_MGMT_PATH, error: error instanceof Error ? error.message : String(error) });
    }
  };
  const refuse = async (request: Request, server: AnswerServer, started: number, raw: unknown, route: string): Promise<Response> => {
    await drainUnreadBody(request, deps.limits.maxBodyBytes);
    const parse = raw instanceof BodyReadFailure;
    const error = parse ? raw.error : raw;
    const mapped = mapError(parse && !(error instanceof ApiError) ? "PARSE" : "UNKNOWN", error, METHOD, BROKER_MGMT_PATH);
    finish(request, server, started, mapped.status, route);
    if (mapped.internal) log("http_internal_error", { method: METHOD, path: BROKER_MGMT_PATH, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return errorResponse(mapped);
  };
  return async (request: Request, server?: AnswerServer): Promise<Response> => {
    if (request.method !== METHOD || request.url.includes("?")) return app().fetch(request);
    const started = now();
    try {
      checkDeclaredLength(request, deps.limits.maxBodyBytes);
    } catch (error) {
      // Elysia's hooks refuse it before routing: counted as no route's.
      return refuse(request, server, started, error, UNMATCHED_ROUTE);
    }
    try {
      const body = await readJsonBody(request, deps.limits.maxBodyBytes).catch((error: unknown) => {
        throw new BodyReadFailure(error);
      });
      checkBody(checkFetchBody, body);
      const response = await replyToFetch(brokerFetchReply(deps, request, body as BrokerFetchBody));
      if (!(response instanceof Response)) throw new Error("a BrokerMgmt fetch without paging answered with a page");
      finish(request, server, started, response.status);
      return response;
    } catch (error) {
      return refuse(request, server, started, error, BROKER_MGMT_PATH);
    }
  };
}

/** What the route asks of replyToFetch for a checked body and its (parsed) query: one place for both paths. */
export function brokerFetchReply(deps: ApiDeps, request: Request, body: BrokerFetchBody, query: Static<typeof BrokerFetchQuery> = {}): FetchReply {
  return {
    deps,
    request,
    audience: "broker",
    paging: query,
    hasSince: body.since !== undefined,
    fetch: () =>
      deps.service.brokerMetadata(
        body.brokerId,
        { since: body.since, waitMs: waitMsOf(query.wait_ms, body.wait_ms), consistency: query.consistency },
        { wantShutdown: body.wantShutdown === true },
      ),
  };
}
