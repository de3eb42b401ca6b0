// Endpoint 11 (ClientMgmt): brokers, topics and partitions since a point, for clients.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { ClientFetchQuery } from "../schemas/queries.ts";
import { waitMsOf } from "../wait.ts";

export function clientMgmtRoutes({ service }: ApiDeps) {
  return new Elysia().get(
    "/v1/client-mgmt/metadata",
    ({ query }) => service.clientMetadata({ since: query.since, waitMs: waitMsOf(query.wait_ms) }),
    {
      query: ClientFetchQuery,
      detail: { tags: ["metadata"], summary: "Client metadata: diff since `since`, or a snapshot (no producers)" },
    },
  );
}
