// Endpoint 10 (BrokerMgmt): a broker's metadata fetch, which is also its heartbeat.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { BrokerFetchBody } from "../schemas/metadata-fetch.ts";
import { WaitQuery } from "../schemas/queries.ts";
import { waitMsOf } from "../wait.ts";

export function brokerMgmtRoutes({ service }: ApiDeps) {
  return new Elysia().post(
    "/v1/broker-mgmt/metadata",
    ({ body, query }) =>
      service.brokerMetadata(body.brokerId, { since: body.since, waitMs: waitMsOf(query.wait_ms, body.wait_ms) }, { wantShutdown: body.wantShutdown === true }),
    {
      body: BrokerFetchBody,
      query: WaitQuery,
      detail: { tags: ["metadata"], summary: "A broker's heartbeat and metadata fetch: diff since `since`, or a snapshot; with wantShutdown, answered once it leads nothing" },
    },
  );
}
