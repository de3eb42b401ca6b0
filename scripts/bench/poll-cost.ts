// What one new BrokerMgmt long poll costs a node in-process: a fleet of brokers (registered and
// heartbeated, so their heartbeats are coalesced as in the steady fleet) each sends the poll that
// follows an answer (`since` = the current offset, `wait_ms` 2 s) through the route a listening
// node serves it from (the fast route ahead of Elysia, broker-mgmt-fast.ts; ELYSIA=1: through
// app.handle), and the CPU the process spent until every poll is parked is printed per poll; then
// one commit wakes them all and the CPU to answer them (the body read to its end) is printed per
// poll. The real API and metadata service over the in-process consensus double (no socket, no
// Raft traffic). Not part of `make bench` or the tests (speed is never asserted); run it to
// compare two builds of the code:
//   bun run scripts/bench/poll-cost.ts        (BROKERS=1000 ROUNDS=7; the median round is printed)
import type { FastHandler } from "../../src/api/fast-route.ts";
import { BROKER_MGMT_PATH } from "../../src/api/routes/broker-mgmt-fast.ts";
import { makeHarness } from "../../test/api/support/harness.ts";
import { send } from "../../test/api/support/request.ts";

const BROKERS = Number(process.env.BROKERS ?? 1_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const WAIT_MS = 2_000;

const h = makeHarness();
for (let id = 1; id <= BROKERS; id++) {
  const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 3}` };
  if ((await send(h.app, "POST", "/v1/brokers", body)).status !== 201) throw new Error(`broker ${id} did not register`);
}
for (let id = 1; id <= BROKERS; id++) await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id });

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The handler Bun's router calls for the poll (app.config.serve.routes), unless ELYSIA=1. */
const routes = (h.app.config.serve as { routes?: Record<string, { POST?: FastHandler }> } | undefined)?.routes;
const fast = process.env.ELYSIA ? undefined : routes?.[BROKER_MGMT_PATH]?.POST;
if (!process.env.ELYSIA && fast === undefined) throw new Error(`no fast route for POST ${BROKER_MGMT_PATH}`);

function poll(brokerId: number, since: number): Promise<Response> {
  const body = `{"brokerId":${brokerId},"wait_ms":${WAIT_MS},"since":${since}}`;
  const request = new Request(`http://localhost${BROKER_MGMT_PATH}`, { method: "POST", headers: { "content-type": "application/json", "content-length": String(body.length) }, body });
  return fast !== undefined ? fast(request) : h.app.handle(request);
}

/** The service's parked polls (a private field: the bench only counts them). */
const polls = (h.service as unknown as { fetchDeps: { polls: { size: number } } }).fetchDeps.polls;
const park: number[] = [];
const answer: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const since = h.stateMachine.appliedIndex();
  const start = cpuMicros();
  const answers = Array.from({ length: BROKERS }, (_, i) => poll(i + 1, since).then((r) => r.text()));
  while (polls.size < BROKERS) await turn();
  const parked = cpuMicros();
  if ((await send(h.app, "POST", "/v1/topics", { name: `cost-${round}` })).status !== 201) throw new Error("the commit failed");
  const texts = await Promise.all(answers);
  const done = cpuMicros();
  if (!texts.every((t) => t.includes(`"cost-${round}"`))) throw new Error("an answer lacks the commit");
  park.push((parked - start) / BROKERS);
  answer.push((done - parked) / BROKERS);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`${BROKERS} brokers through ${fast ? "the fast route" : "Elysia"}, ${ROUNDS} rounds: a new poll until parked ${median(park).toFixed(1)} µs CPU, waking and answering ${median(answer).toFixed(1)} µs CPU per poll (medians; rounds ${park.map((v) => v.toFixed(1)).join(" ")} / ${answer.map((v) => v.toFixed(1)).join(" ")})`);
process.exit(0);
