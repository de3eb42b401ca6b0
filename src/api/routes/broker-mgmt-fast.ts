// The hot path of endpoint 10 (BrokerMgmt) as a fast route (fast-route.ts), served by Bun's router
// in front of Elysia: a fleet of long-polling brokers sends one of these per broker per commit. It
// asks the same fetch of replyToFetch as the Elysia route (broker-mgmt.ts); a request with a query
// string (wait_ms, consistency, paging) goes to the Elysia route.
import type { Static } from "@sinclair/typebox";
import type { ApiDeps } from "../deps.ts";
import type { FastRoute } from "../fast-route.ts";
import { refuseIdempotencyKey } from "../idempotency.ts";
import { type FetchReply, replyToFetch } from "../metadata-reply.ts";
import { BrokerFetchBody } from "../schemas/metadata-fetch.ts";
import type { BrokerFetchQuery } from "../schemas/queries.ts";
import { waitMsOf } from "../wait.ts";

export const BROKER_MGMT_PATH = "/v1/broker-mgmt/metadata";

/** Why a poll takes no key (also the seed POST /BrokerMgmt's): what a retry does instead. */
export const POLL_UNKEYED =
  "a poll is a read of the metadata and a heartbeat, not a remembered write; a retry is simply the next poll (a heartbeat again is harmless, and wantShutdown again waits for the same move)";

/** POST /v1/broker-mgmt/metadata without a query string: never paged, so always a Response. */
export function brokerMgmtFastRoute(deps: ApiDeps): FastRoute<typeof BrokerFetchBody> {
  return {
    method: "POST",
    path: BROKER_MGMT_PATH,
    body: BrokerFetchBody,
    async serve(request, body) {
      const response = await replyToFetch(brokerFetchReply(deps, request, body));
      if (!(response instanceof Response)) throw new Error("a BrokerMgmt fetch without paging answered with a page");
      return response;
    },
  };
}

/** What the route asks of replyToFetch for a checked body and its (parsed) query: one place for both paths. */
export function brokerFetchReply(deps: ApiDeps, request: Request, body: BrokerFetchBody, query: Static<typeof BrokerFetchQuery> = {}): FetchReply {
  refuseIdempotencyKey(request, `POST ${BROKER_MGMT_PATH}`, POLL_UNKEYED);
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
