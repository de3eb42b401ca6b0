// BrokerMgmt's fast path (src/api/routes/broker-mgmt-fast.ts), which a listening node serves from
// Bun's router ahead of Elysia: for every kind of request — answers, each refusal of the body, the
// length and the JSON, a broker unknown or not serving, a query string handed on to Elysia — its
// answer is the Elysia route's byte for byte (status, headers, body), on two harnesses built
// alike; it counts the request under the route as Elysia's hooks do; a node with --auth-tokens
// does not install it; and a served node answers polls through it over a real socket.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { BROKER_MGMT_PATH } from "../../src/api/routes/broker-mgmt-fast.ts";
import { serveApi } from "../../src/api/serve.ts";
import { parseTokenFile } from "../../src/auth/token-file.ts";
import { TokenStore } from "../../src/auth/token-store.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;
type Handler = (request: Request) => Promise<Response>;

/** The handler the app gives Bun's router for POST /v1/broker-mgmt/metadata, if any. */
function fastHandler(app: Harness["app"]): Handler | undefined {
  const routes = (app.config.serve as { routes?: Record<string, { POST?: Handler }> } | undefined)?.routes;
  return routes?.[BROKER_MGMT_PATH]?.POST;
}

async function seeded(): Promise<Harness> {
  const h = makeHarness();
  await h.seed();
  const closed = { brokerId: 9, brokerHost: "b9.example", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r9" };
  expect((await send(h.app, "POST", "/v1/brokers", closed)).status).toBe(201);
  expect((await send(h.app, "DELETE", "/v1/brokers/9")).status).toBe(200);
  return h;
}

interface Case {
  name: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  query?: string;
}

const JSON_TYPE = { "content-type": "application/json" };
const CASES: Case[] = [
  { name: "a first poll (snapshot)", body: '{"brokerId":1}' },
  { name: "a poll since an offset (diff)", body: '{"brokerId":2,"since":2}' },
  { name: "a poll since a timestamp", body: '{"brokerId":3,"since":"2020-01-01T00:00:00Z"}' },
  { name: "a poll that waits with nothing new (wait_ms 0 in the body)", body: '{"brokerId":1,"since":99,"wait_ms":0}' },
  { name: "gzip asked for", body: '{"brokerId":1,"since":1}', headers: { "accept-encoding": "gzip" } },
  { name: "NDJSON asked for", body: '{"brokerId":1,"since":1}', headers: { accept: "application/x-ndjson" } },
  { name: "an unknown broker", body: '{"brokerId":77,"since":1}' },
  { name: "a closed broker", body: '{"brokerId":9,"since":1}' },
  { name: "no brokerId", body: '{"since":1}' },
  { name: "brokerId as a string", body: '{"brokerId":"1"}' },
  { name: "a property the schema does not know", body: '{"brokerId":1,"extra":true}' },
  { name: "wait_ms past its bound", body: '{"brokerId":1,"wait_ms":30001}' },
  { name: "a since that is no offset or time", body: '{"brokerId":1,"since":"yesterday"}' },
  { name: "an empty body", body: "" },
  { name: "malformed JSON", body: '{"brokerId":' },
  { name: "a body that is not UTF-8", body: new Uint8Array([0x7b, 0xff, 0x7d]) },
  { name: "nesting too deep", body: `{"brokerId":1,"x":${"[".repeat(200)}${"]".repeat(200)}}` },
  { name: "a declared length past the bound", body: '{"brokerId":1}', headers: { "content-length": String(2 * 1024 * 1024) } },
  { name: "a body past the bound", body: `{"brokerId":1,"x":"${"a".repeat(1024 * 1024)}"}` },
  { name: "a query string (handed on to Elysia)", body: '{"brokerId":1,"since":1}', query: "?consistency=stale" },
  { name: "wait_ms in the query and the body (handed on)", body: '{"brokerId":1,"wait_ms":5}', query: "?wait_ms=5" },
];

function request(c: Case): Request {
  return new Request(`http://localhost${BROKER_MGMT_PATH}${c.query ?? ""}`, { method: "POST", headers: { ...JSON_TYPE, ...c.headers }, body: c.body });
}

async function snapshotOf(response: Response) {
  return { status: response.status, headers: [...response.headers.entries()].sort(), body: new Uint8Array(await response.arrayBuffer()) };
}

describe("the fast path answers as the Elysia route does", async () => {
  const viaFast = await seeded();
  const viaElysia = await seeded();
  const fast = fastHandler(viaFast.app) as Handler;

  test("a node without --auth-tokens installs it", () => {
    expect(fast).toBeFunction();
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const expected = await snapshotOf(await viaElysia.app.handle(request(c)));
      const got = await snapshotOf(await fast(request(c)));
      expect(got).toEqual(expected);
    });
  }

  test("each request is counted under the route, as Elysia's hooks count it", async () => {
    const metrics = async (h: Harness) => (await send(h.app, "GET", "/metrics")).text.split("\n").filter((l) => l.startsWith("yakt_http_requests_total") && (l.includes(BROKER_MGMT_PATH) || l.includes(`route="unmatched"`)));
    expect(await metrics(viaFast)).toEqual(await metrics(viaElysia));
    expect((await metrics(viaFast)).length).toBeGreaterThan(0);
  });
});

test("a long poll through the fast path wakes on the next commit, as through Elysia", async () => {
  const h = await seeded();
  const fast = fastHandler(h.app) as Handler;
  // The broker's first heartbeat changes its status (INIT to ALIVE): a record of its own.
  expect((await fast(request({ name: "heartbeat", body: '{"brokerId":1}' }))).status).toBe(200);
  const since = h.stateMachine.appliedIndex();
  const parked = fast(request({ name: "park", body: JSON.stringify({ brokerId: 1, since, wait_ms: 5_000 }) }));
  expect((await send(h.app, "POST", "/v1/topics", { name: "woken" })).status).toBe(201);
  const answer = (await (await parked).json()) as { mode: string; offset: number; records: { fields: { name?: string } }[] };
  expect(answer.mode).toBe("diff");
  expect(answer.offset).toBe(h.stateMachine.appliedIndex());
  expect(answer.records.map((r) => r.fields.name)).toEqual(["woken"]);
});

test("a node with --auth-tokens leaves the route to Elysia, where the token is checked", () => {
  const h = makeHarness();
  const tokens = new TokenStore(parseTokenFile("broker-token-0123456789 broker b1", "tokens"));
  const app = createApp({ service: h.service, handle: h.handle, tokens, audit: () => {} });
  expect(fastHandler(app)).toBeUndefined();
});

test("a listening node serves polls and refusals through it over a socket", async () => {
  const h = await seeded();
  const served = serveApi(h.app, { hostname: "127.0.0.1", port: 0 });
  try {
    const url = `http://127.0.0.1:${served.server?.port}${BROKER_MGMT_PATH}`;
    const ok = await fetch(url, { method: "POST", headers: JSON_TYPE, body: '{"brokerId":1,"since":1}' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { mode: string }).mode).toBe("diff");
    const bad = await fetch(url, { method: "POST", headers: JSON_TYPE, body: '{"brokerId":"x"}' });
    const expected = await send(h.app, "POST", BROKER_MGMT_PATH, '{"brokerId":"x"}');
    expect(bad.status).toBe(expected.status);
    expect(await bad.text()).toBe(expected.text);
    // Another method on the same path is still Elysia's: 405 with Allow.
    const get = await fetch(url);
    expect(get.status).toBe(405);
  } finally {
    await served.stop(true);
  }
});
