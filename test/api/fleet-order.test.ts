// A fleet of long-polling brokers (through app.handle) while topics are created one after another:
// every broker sees every change exactly once and in order, whether a commit finds it parked,
// being released in a later slice (more brokers than RELEASE_SLICE), or re-polling in between.
import { expect, test } from "bun:test";
import { RELEASE_SLICE } from "../../src/metadata/long-polls.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const BROKERS = RELEASE_SLICE + 88;
const WRITES = 12;
/** Under the session timeout (9 s): the parked polls that run out at the end fence nobody. */
const WAIT_MS = 5_000;

interface Diff {
  offset: number;
  records: { offset: number }[];
}

function poll(h: Harness, brokerId: number, since: number): Promise<Diff> {
  const body = JSON.stringify({ brokerId, since, wait_ms: WAIT_MS });
  const init = { method: "POST", headers: { "content-type": "application/json" }, body };
  return h.app.handle(new Request("http://localhost/v1/broker-mgmt/metadata", init)).then((r) => {
    expect(r.status).toBe(200);
    return r.json() as Promise<Diff>;
  });
}

test("every broker of a fleet larger than a release slice sees every change once and in order", async () => {
  const h = makeHarness();
  for (let id = 1; id <= BROKERS; id++) {
    const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 3}` };
    expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
  }
  // Each broker's first heartbeat is a status change (INIT to ALIVE): after them the fleet is steady.
  for (let id = 1; id <= BROKERS; id++) expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
  const start = h.stateMachine.appliedIndex();
  const seen: number[][] = Array.from({ length: BROKERS }, () => []);
  // Set once the last write is applied: a broker stops once it has read up to it.
  let last = Number.POSITIVE_INFINITY;
  const loop = async (i: number) => {
    let since = start;
    while (since < last) {
      const answer = await poll(h, i + 1, since);
      for (const r of answer.records) seen[i].push(r.offset);
      expect(answer.offset).toBeGreaterThanOrEqual(since);
      since = answer.offset;
    }
  };
  const loops = Array.from({ length: BROKERS }, (_, i) => loop(i));
  for (let w = 0; w < WRITES; w++) {
    expect((await send(h.app, "POST", "/v1/topics", { name: `fleet-${w}` })).status).toBe(201);
    // Every other write lands while part of the fleet is still being answered or re-polling.
    if (w % 2 === 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  last = h.stateMachine.appliedIndex();
  // Polls parked at the last offset before `last` was set answer empty when their wait runs out.
  h.clock.advance(WAIT_MS);
  await Promise.all(loops);
  const expected = h.stateMachine.history.after(start).map((r) => r.offset);
  expect(expected).toHaveLength(WRITES);
  for (const offsets of seen) expect(offsets).toEqual(expected);
});
