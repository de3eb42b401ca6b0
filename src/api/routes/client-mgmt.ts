// Endpoint 11 (ClientMgmt): brokers, topics and partitions since a point, for clients. A snapshot
// answer is streamed from a frozen view (JSON, or NDJSON; gzip/zstd) or paged with cursor/limit.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { replyToFetch } from "../metadata-reply.ts";
import { PagedClientFetchQuery } from "../schemas/queries.ts";
import { waitMsOf } from "../wait.ts";

export function clientMgmtRoutes(deps: ApiDeps) {
  return new Elysia().get(
    "/v1/client-mgmt/metadata",
    ({ query, request }) =>
      replyToFetch({
        deps,
        request,
        audience: "client",
        paging: query,
        hasSince: query.since !== undefined,
        fetch: () => deps.service.clientMetadata({ since: query.since, waitMs: waitMsOf(query.wait_ms), consistency: query.consistency }),
      }),
    {
      query: PagedClientFetchQuery,
      detail: {
        tags: ["metadata"],
        summary: "Client metadata: diff since `since`, or a snapshot (no producers), streamed (JSON or NDJSON, gzip/zstd) or paged (`limit`, `cursor`)",
      },
    },
  );
}
