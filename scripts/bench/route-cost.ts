// What one request of each fast route (src/api/fast-route.ts) costs a node in-process, through the
// Elysia route (app.handle) and through the fast route's handler, round after round alternating:
// the real API and metadata service over the in-process consensus double (no socket, no Raft
// traffic), so the difference is the HTTP layer's. Not part of `make bench` or the tests (speed is
// never asserted); run it to see what a route gains:
//   bun run scripts/bench/route-cost.ts        (REQUESTS=3000 ROUNDS=6; medians of CPU µs per request)
import type { FastHandler } from "../../src/api/fast-route.ts";
import { makeHarness } from "../../test/api/support/harness.ts";
import { send } from "../../test/api/support/request.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);

const h = makeHarness();
await h.seed();
if ((await send(h.app, "POST", "/v1/topics", { name: "wide", partitions: 100, replicationFactor: 3 })).status !== 201) throw new Error("topic wide was not created");
const routes = (h.app.config.serve as { routes: Record<string, Record<string, FastHandler>> }).routes;

interface Kind {
  name: string;
  template: string;
  method: string;
  request: (seq: number) => Request;
}
const json = (method: string, path: string, body: string) => new Request(`http://localhost${path}`, { method, headers: { "content-type": "application/json" }, body });
let topics = 0;
const KINDS: Kind[] = [
  { name: "PUT /v1/brokers/:brokerId", template: "/v1/brokers/:brokerId", method: "PUT", request: (s) => json("PUT", `/v1/brokers/${1 + (s % 3)}`, `{"brokerHost":"h${s}.example"}`) },
  { name: "GET /v1/brokers/:brokerId", template: "/v1/brokers/:brokerId", method: "GET", request: (s) => new Request(`http://localhost/v1/brokers/${1 + (s % 3)}`) },
  { name: "POST /v1/topics", template: "/v1/topics", method: "POST", request: () => json("POST", "/v1/topics", `{"name":"cost-${++topics}"}`) },
  { name: "POST /v1/producers", template: "/v1/producers", method: "POST", request: (s) => json("POST", "/v1/producers", `{"brokerId":${1 + (s % 3)}}`) },
  { name: "GET /v1/topics/:name (1 partition)", template: "/v1/topics/:name", method: "GET", request: () => new Request("http://localhost/v1/topics/t1") },
  { name: "GET /v1/topics/:name (100 partitions, zstd)", template: "/v1/topics/:name", method: "GET", request: () => new Request("http://localhost/v1/topics/wide", { headers: { "accept-encoding": "zstd" } }) },
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
