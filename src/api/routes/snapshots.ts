// Snapshots of the metadata image: take one now, list them, read the latest decoded.
import { Elysia } from "elysia";
import { notFound } from "../../metadata/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { EmptyQuery, LocalReadQuery } from "../schemas/queries.ts";

const tags = ["snapshots"];

export function snapshotRoutes({ service, handle }: ApiDeps) {
  return new Elysia()
    .post("/v1/snapshots", async ({ status }) => status(201, await handle.snapshotNow()), {
      query: EmptyQuery,
      detail: { tags, summary: "Snapshot the state machine now (and compact the log up to it)" },
    })
    .get("/v1/snapshots", () => ({ snapshots: handle.listSnapshots() }), {
      query: LocalReadQuery,
      detail: { tags, summary: "Snapshots this node holds, oldest first" },
    })
    .get(
      "/v1/snapshots/latest",
      () => {
        const latest = handle.latestSnapshot();
        if (!latest) throw notFound(`node ${handle.nodeId} holds no snapshot yet; POST /v1/snapshots takes one`);
        return { meta: latest.meta, image: service.decodeSnapshot(latest.data) };
      },
      { query: LocalReadQuery, detail: { tags, summary: "The latest snapshot's meta and the metadata image it holds" } },
    );
}
