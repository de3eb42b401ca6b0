// Endpoint 10 (BrokerMgmt): a broker's metadata fetch, which is also its heartbeat. A snapshot
// answer is streamed from a frozen view (JSON, or NDJSON; gzip/zstd) or paged with cursor/limit;
// a request with a cursor reads a kept view and is no heartbeat. A listening node serves the route's
// common form in front of Elysia (broker-mgmt-fast.ts), with the same checks and answers.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { replyToFetch } from "../metadata-reply.ts";
import { BrokerFetchBody } from "../schemas/metadata-fetch.ts";
import { BrokerFetchQuery } from "../schemas/queries.ts";
import { BROKER_MGMT_PATH, brokerFetchReply } from "./broker-mgmt-fast.ts";

export function brokerMgmtRoutes(deps: ApiDeps) {
  return new Elysia().post(
    BROKER_MGMT_PATH,
    ({ body, query, request }) => replyToFetch(brokerFetchReply(deps, request, body, query)),
    {
      body: BrokerFetchBody,
      query: BrokerFetchQuery,
      detail: {
        tags: ["metadata"],
        summary:
          "A broker's heartbeat and metadata fetch: diff since `since`, or a snapshot, streamed (JSON or NDJSON, gzip/zstd) or paged (`limit`, `cursor`: no heartbeat); with wantShutdown, answered once it leads nothing",
      },
    },
  );
}
