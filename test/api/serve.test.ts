// serveApi on a real loopback socket: answers, refuses oversized bodies with the JSON 413, and a
// port clash fails loudly instead of sharing the port.
import { afterEach, expect, test } from "bun:test";
import { type YaktApp } from "../../src/api/app.ts";
import { IDLE_TIMEOUT_S, serveApi } from "../../src/api/serve.ts";
import { MAX_WAIT_MS } from "../../src/metadata/limits.ts";
import { makeHarness } from "./support/harness.ts";

const started: YaktApp[] = [];
afterEach(async () => {
  for (const app of started.splice(0)) await app.stop(true);
});

function start(harness = makeHarness()): { app: YaktApp; url: string } {
  const app = serveApi(harness.app, { hostname: "127.0.0.1", port: 0 });
  started.push(app);
  const port = app.server?.port;
  if (!port) throw new Error("the API did not report its port");
  return { app, url: `http://127.0.0.1:${port}` };
}

test("serves over TCP", async () => {
  const { url } = start();
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { status: string }).status).toBe("ok");
});

test("a body over 1 MiB is refused with the JSON 413 over the socket too", async () => {
  const { url } = start();
  const body = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });
  const response = await fetch(`${url}/v1/topics`, { method: "POST", body, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(413);
  expect(((await response.json()) as { error: string }).error).toBe("payload_too_large");
});

test("a port already in use is an error, not a shared port", () => {
  const { app } = start();
  const port = app.server?.port ?? 0;
  expect(() => serveApi(makeHarness().app, { hostname: "127.0.0.1", port })).toThrow();
});

test("an impossible port is refused before listening", () => {
  expect(() => serveApi(makeHarness().app, { hostname: "127.0.0.1", port: 70000 })).toThrow("API port must be 0..65535, got 70000");
});

test("a long poll over the socket is answered by the next commit, and the idle cut-off outlasts the longest poll", async () => {
  expect(IDLE_TIMEOUT_S * 1000).toBeGreaterThan(MAX_WAIT_MS);
  const harness = makeHarness();
  const { url } = start(harness);
  await harness.seed();
  const since = harness.handle.status().commitOffset;
  const polling = fetch(`${url}/v1/client-mgmt/metadata?since=${since}&wait_ms=30000`, { signal: AbortSignal.timeout(10_000) });
  // Whether the poll parks before this write or arrives after it, the answer is the same diff
  // (the parked case is pinned down without sockets in v1-flow.test.ts).
  const created = await fetch(`${url}/v1/topics`, { method: "POST", body: JSON.stringify({ name: "wake" }), headers: { "content-type": "application/json" } });
  expect(created.status).toBe(201);
  const answer = (await (await polling).json()) as { mode: string; records: { name: string }[] };
  expect(answer.mode).toBe("diff");
  expect(answer.records.map((r) => r.name)).toEqual(["TopicRecord"]);
});
