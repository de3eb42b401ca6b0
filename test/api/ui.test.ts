// GET /ui: the dashboard is one self-contained page (no external script, style, font or URL) that
// follows /v1/watch and polls /v1/cluster. Its behaviour in a browser is test/ui/dashboard.test.ts.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

test("GET /ui is one self-contained HTML page wired to the watch stream and the cluster status", async () => {
  const answer = await send(makeHarness().app, "GET", "/ui");
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toContain("text/html");
  expect(answer.text).toStartWith("<!doctype html>");
  expect(answer.text).not.toMatch(/<script[^>]+src=/);
  expect(answer.text).not.toMatch(/<link[^>]+href=/);
  expect(answer.text).not.toMatch(/@import|url\(/);
  expect(answer.text).not.toMatch(/https?:\/\//);
  // Read with fetch, not EventSource, so the calls can carry a Bearer token (test/ui/dashboard-tokens.test.ts).
  expect(answer.text).toContain('fetch("/v1/watch"');
  expect(answer.text).not.toContain("EventSource(");
  expect(answer.text).toContain('fetch("/v1/cluster"');
});
