// Prometheus scrape endpoint: the runtime's, watchers', streams', kept topic bodies', the diff history's and process memory gauges plus request metrics.
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";
import { processMemoryMetrics } from "../process-memory.ts";
import { renderMetrics } from "../prometheus.ts";

export function metricsRoutes({ service, handle, requests, watchers, streams, pages, topicBodies }: ApiDeps) {
  return new Elysia().get(
    "/metrics",
    () =>
      new Response(renderMetrics({ ...handle.metrics(), ...watchers.metrics(), ...streams.metrics(), yakt_image_page_views: pages.size, ...topicBodies.metrics(), ...service.historyMetrics(), ...processMemoryMetrics() }, requests), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
    { detail: { tags: ["ops"], summary: "Prometheus text exposition: node metrics, request counts and latency" } },
  );
}
