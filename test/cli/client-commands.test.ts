// The client subcommands in-process against a stub HTTP server: the request each one sends
// (method, path, body, headers from the one place that builds them), how answers and errors come
// out, and `topics delete` against the controller's DELETE /v1/topics/:name contract (API.md).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ClientError, UsageError } from "../../src/cli/cli-errors.ts";
import { parseClientArgs } from "../../src/cli/client/client-options.ts";
import { parseClientCommand } from "../../src/cli/client/client-command.ts";

interface Seen {
  method: string;
  path: string;
  body: string;
  headers: Headers;
}

const seen: Seen[] = [];
const removeTopic = { type: "metadata", name: "RemoveTopicRecord", offset: 42, timestamp: "2026-12-06T00:00:00.000Z", fields: { topicUUID: "u-1", name: "orders" } };
let server: ReturnType<typeof Bun.serve>;
let url = "";

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname + new URL(req.url).search;
      seen.push({ method: req.method, path, body: await req.text(), headers: req.headers });
      if (req.method === "DELETE" && path === "/v1/topics/orders") return Response.json(removeTopic);
      if (req.method === "DELETE") return Response.json({ error: "not_found", message: `topic "${path.split("/").pop()}" does not exist` }, { status: 404 });
      if (path === "/v1/log?from=3&limit=2") return Response.json({ firstOffset: 1, lastOffset: 9, records: [] });
      if (path === "/v1/cluster") return new Response("<html>proxy error</html>", { status: 502 });
      return Response.json({ error: "internal", message: "stub has no such route" }, { status: 500 });
    },
  });
  url = `http://127.0.0.1:${server.port}`;
});

afterAll(() => server.stop(true));

async function run(args: string[]): Promise<string> {
  let out = "";
  const code = await parseClientCommand(args, (text) => (out += text)).run();
  expect(code).toBe(0);
  return out;
}

test("topics delete sends DELETE /v1/topics/:name and prints the RemoveTopicRecord", async () => {
  seen.length = 0;
  const out = await run(["topics", "delete", "orders", "--server", url]);
  expect(out).toBe("deleted topic orders (offset 42)\n");
  expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(["DELETE /v1/topics/orders"]);
  expect(JSON.parse(await run(["topics", "delete", "orders", "--server", url, "--output", "json"]))).toEqual(removeTopic);
  const missing = parseClientCommand(["topics", "delete", "gone", "--server", url], () => {}).run();
  await expect(missing).rejects.toThrow(new ClientError('DELETE /v1/topics/gone: 404 not_found: topic "gone" does not exist'));
});

test("every request carries the token (flag, else $YAKT_TOKEN) from the one place that builds headers", async () => {
  seen.length = 0;
  await run(["log", "--from", "3", "--limit", "2", "--server", url, "--token", "s3cret"]);
  expect(seen[0].path).toBe("/v1/log?from=3&limit=2");
  expect(seen[0].headers.get("authorization")).toBe("Bearer s3cret");
  expect(seen[0].headers.get("accept")).toBe("application/json");
  const viaEnv = parseClientArgs("log", [], {}, { YAKT_TOKEN: "from-env", YAKT_SERVER: "http://node-2:8080/" });
  expect(viaEnv.options).toEqual({ server: "http://node-2:8080", output: "table", token: "from-env", cacert: null, cert: null, key: null });
  expect(parseClientArgs("log", [], {}, {}).options.server).toBe("http://127.0.0.1:8080");
});

test("an answer that is not JSON, a 5xx and an unreachable server are ClientErrors naming what failed", async () => {
  await expect(parseClientCommand(["cluster", "status", "--server", url], () => {}).run()).rejects.toThrow("GET /v1/cluster: 502 <html>proxy error</html>");
  await expect(parseClientCommand(["topics", "list", "--server", url], () => {}).run()).rejects.toThrow("500 internal: stub has no such route");
  await expect(parseClientCommand(["topics", "list", "--server", "http://127.0.0.1:1"], () => {}).run()).rejects.toThrow("cannot reach http://127.0.0.1:1");
});

test("bad command lines are UsageErrors before any request", async () => {
  seen.length = 0;
  const cases: string[][] = [
    ["topics"],
    ["topics", "delete"],
    ["topics", "delete", "a", "b"],
    ["topics", "list", "--server", "ftp://x"],
    ["topics", "list", "--bogus"],
    ["brokers", "describe", "-1"],
    ["log", "--limit", "0"],
    ["log", "--limit", "1001"],
    ["cluster", "health"],
    ["snapshot", "restore", "f.bak", "--data-dir", "d"],
    ["dump-log"],
  ];
  for (const args of cases) {
    await expect(parseClientCommand([...args], () => {}).run()).rejects.toBeInstanceOf(UsageError);
  }
  expect(seen).toEqual([]);
});
