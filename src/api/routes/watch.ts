// GET /v1/watch?since=<offset>: every committed record as a Server-Sent Event (id = its offset),
// after a `snapshot` event when since is missing or too old (the diffs' rules). Last-Event-ID,
// sent by a reconnecting EventSource, wins over since. Any node serves it from what it applied.
// The snapshot event is written from a frozen view in slices and counts toward the node's bound
// of snapshot streams (a 503 `too_many_streams` past it). Bun.serve sends it through
// servedBody, so the bytes a client leaves unread stay counted in its watcher.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { Type } from "@sinclair/typebox";
import { SinceParam } from "../schemas/queries.ts";
import { servedBody } from "../watch/served-body.ts";

const WatchQuery = Type.Object({ since: Type.Optional(SinceParam) }, { additionalProperties: false });

export function watchRoutes({ watchers, streams }: ApiDeps) {
  return new Elysia().get(
    "/v1/watch",
    ({ query, headers, server }) => {
      const resume = headers["last-event-id"]?.trim();
      const watcher = watchers.open(resume || query.since, () => streams.enter());
      // Served over a socket, Bun writes it chunk by chunk (served-body.ts); in process, as is.
      return new Response(server ? servedBody(watcher) : watcher.stream, {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
      });
    },
    {
      query: WatchQuery,
      detail: { tags: ["metadata"], summary: "Server-Sent Events: a snapshot event when since is missing or too old, then every committed record (id = offset)" },
    },
  );
}
