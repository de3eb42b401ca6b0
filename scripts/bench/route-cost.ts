// What one request of each fast route (src/api/fast-route.ts) costs a node in-process, through the
// Elysia route (app.handle) and through the fast route's handler, round after round alternating:
// the real API and metadata service over the in-process consensus double (no socket, no Raft
// traffic), so the difference is the HTTP layer's. Not part of `make bench` or the tests (speed is
// never asserted); run it to see what a route gains:
//   bun run scripts/bench/route-cost.ts        (REQUESTS=3000 ROUNDS=6; medians of CPU µs per request)
// AUTH=1: a node with --auth-tokens (three tokens), every request with the token of the smallest
// role it needs — before the fast routes checked tokens, such a node served all through Elysia.
import type { FastHandler } from "../../src/api/fast-route.ts";
import { requiredRole } from "../../src/auth/roles.ts";
import { bearer, tokenStore } from "../../test/api/support/fast-route-auth.ts";
import { makeHarness } from "../../test/api/support/harness.ts";
import { send } from "../../test/api/support/request.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const AUTH = process.env.AUTH === "1";

const h = makeHarness(AUTH ? { tokens: tokenStore(), own: bearer("admin") } : {});
await h.seed();
const wide = await send(h.app, "POST", "/v1/topics", { name: "wide", partitions: 100, replicationFactor: 3 }, AUTH ? bearer("admin") : {});
if (wide.status !== 201) throw new Error("topic wide was not created");
// Every broker has polled once (INIT to ALIVE), so the measured polls write nothing.
for (const id of [1, 2, 3]) await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id }, AUTH ? bearer("broker") : {});
const routes = (h.app.config.serve as { routes: Record<string, Record<string, FastHandler>> }).routes;

interface Kind {
  name: string;
  template: string;
  method: string;
  request: (seq: number) => Request;
}
/** The token of the smallest role the request needs, on a node with tokens. */
const token = (method: string, path: string): Record<string, string> => {
  const role = AUTH ? requiredRole(method, path) : null;
  return role === null ? {} : bearer(role);
};
const json = (method: string, path: string, body: string) =>
  new Request(`http://localhost${path}`, { method, headers: { "content-type": "application/json", ...token(method, path) }, body });
const get = (path: string, headers: Record<string, string> = {}) => new Request(`http://localhost${path}`, { headers: { ...headers, ...token("GET", path) } });
let topics = 0;
const KINDS: Kind[] = [
  { name: "PUT /v1/brokers/:brokerId", template: "/v1/brokers/:brokerId", method: "PUT", request: (s) => json("PUT", `/v1/brokers/${1 + (s % 3)}`, `{"brokerHost":"h${s}.example"}`) },
  { name: "GET /v1/brokers/:brokerId", template: "/v1/brokers/:brokerId", method: "GET", request: (s) => get(`/v1/brokers/${1 + (s % 3)}`) },
  { name: "POST /v1/topics", template: "/v1/topics", method: "POST", request: () => json("POST", "/v1/topics", `{"name":"cost-${++topics}"}`) },
  { name: "POST /v1/producers", template: "/v1/producers", method: "POST", request: (s) => json("POST", "/v1/producers", `{"brokerId":${1 + (s % 3)}}`) },
  { name: "GET /v1/topics/:name (1 partition)", template: "/v1/topics/:name", method: "GET", request: () => get("/v1/topics/t1") },
  { name: "GET /v1/topics/:name (100 partitions, zstd)", template: "/v1/topics/:name", method: "GET", request: () => get("/v1/topics/wide", { "accept-encoding": "zstd" }) },
  {
    name: "POST /v1/broker-mgmt/metadata (empty diff)",
    template: "/v1/broker-mgmt/metadata",
    method: "POST",
    // Since the node's offset when it is sent (the writes of the rows above move it): an empty diff.
    request: (s) => json("POST", "/v1/broker-mgmt/metadata", `{"brokerId":${1 + (s % 3)},"since":${h.handle.status().lastOffset}}`),
  },
];

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function perRequest(serve: (request: Request) => Promise<Response>, kind: Kind): Promise<number> {
  const start = cpuMicros();
  for (let i = 0; i < REQUESTS; i++) {
    const response = await serve(kind.request(i));
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`${kind.name}: ${response.status}`);
  }
  return (cpuMicros() - start) / REQUESTS;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const kind of KINDS) {
  const fast = routes[kind.template][kind.method];
  const viaElysia: number[] = [];
  const viaFast: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Each path goes first every other round: writes grow the state (topics, remembered ids) that
    // the later requests find, which must not always favour the same path.
    const elysiaFirst = round % 2 === 0;
    if (elysiaFirst) viaElysia.push(await perRequest((r) => h.app.handle(r), kind));
    viaFast.push(await perRequest((r) => fast(r), kind));
    if (!elysiaFirst) viaElysia.push(await perRequest((r) => h.app.handle(r), kind));
  }
  console.log(`${kind.name.padEnd(45)} Elysia ${median(viaElysia).toFixed(1)} µs, fast route ${median(viaFast).toFixed(1)} µs CPU per request (medians of ${ROUNDS} rounds of ${REQUESTS})`);
}
process.exit(0);
