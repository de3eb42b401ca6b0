// The event log: committed records in offset order, one bounded page at a time.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { toOptionalInt } from "../params.ts";
import { LogQuery } from "../schemas/queries.ts";

export function logRoutes({ service, limits }: ApiDeps) {
  return new Elysia().get(
    "/v1/log",
    ({ query }) => {
      const from = toOptionalInt("from", query.from, 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const limit = toOptionalInt("limit", query.limit, 1, limits.logMaxLimit) ?? limits.logDefaultLimit;
      return service.log(from, limit);
    },
    { query: LogQuery, detail: { tags: ["log"], summary: `Records with offset ≥ from, oldest first (limit ≤ ${limits.logMaxLimit})` } },
  );
}
