// Snapshots of the metadata image: take one now, list them, read the latest decoded.
import { Elysia } from "elysia";
import { notFound } from "../../metadata/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { refuseIdempotencyKey } from "../idempotency.ts";
import { EmptyBody } from "../schemas/fields.ts";
import { EmptyQuery, LocalReadQuery } from "../schemas/queries.ts";

const tags = ["snapshots"];

/** Why POST /v1/snapshots takes no key: what a retry does instead. */
const SNAPSHOT_UNKEYED = "a snapshot is this node's own, not a replicated write, so nothing remembers a first answer; a retry takes a snapshot again (or joins the one running), which is harmless";

export function snapshotRoutes({ service, handle }: ApiDeps) {
  return new Elysia()
    .post(
      "/v1/snapshots",
      async ({ request, status }) => {
        refuseIdempotencyKey(request, "POST /v1/snapshots", SNAPSHOT_UNKEYED);
        return status(201, await handle.snapshotNow());
      },
      {
        body: EmptyBody,
        query: EmptyQuery,
        detail: { tags, summary: "Snapshot the state machine now (and compact the log up to it); takes no Idempotency-Key" },
      },
    )
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
