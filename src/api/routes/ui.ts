// GET /ui: the dashboard, one self-contained HTML page (ui/dashboard.html, embedded at build time)
// that follows /v1/watch and polls /v1/cluster of the node that served it.
import { Elysia } from "elysia";
import dashboardFile from "../ui/dashboard.html" with { type: "text" };

// Bun's types describe an .html import as an HTML bundle; with type "text" it is the file's text.
const dashboard = dashboardFile as unknown as string;
if (typeof dashboard !== "string" || !dashboard.startsWith("<!doctype html>")) throw new Error("the dashboard page was not embedded as text");

export function uiRoutes() {
  return new Elysia().get(
    "/ui",
    () => new Response(dashboard, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }),
    { detail: { tags: ["ui"], summary: "The live dashboard (HTML)" } },
  );
}
