// Endpoint 12: the quorum as this node sees it.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { LocalReadQuery } from "../schemas/queries.ts";

export function clusterRoutes({ handle }: ApiDeps) {
  return new Elysia().get("/v1/cluster", () => handle.status(), {
    query: LocalReadQuery,
    detail: { tags: ["cluster"], summary: "Node id, role, leader, term, commit offset, each member's log end, lag and last contact" },
  });
}
