// serveApi on a real loopback socket: answers, refuses oversized bodies with the JSON 413, and a
// port clash fails loudly instead of sharing the port.
import { afterEach, expect, test } from "bun:test";
import { type YaktApp } from "../../src/api/app.ts";
import { serveApi } from "../../src/api/serve.ts";
import { makeHarness } from "./support/harness.ts";

const started: YaktApp[] = [];
afterEach(async () => {
  for (const app of started.splice(0)) await app.stop(true);
});

function start(): { app: YaktApp; url: string } {
  const app = serveApi(makeHarness().app, { hostname: "127.0.0.1", port: 0 });
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
