// How the nemesis clients count each answer, against a stub HTTP server on a free port: a 2xx
// settles an operation, a timeout or a 5xx leaves a write indeterminate and a read out of the
// history, a 409 on a fresh topic name is counted and indeterminate, anything else fails the run.
import { afterAll, describe, expect, test } from "bun:test";
import { HistoryRecorder } from "./support/nemesis-history.ts";
import { NemesisRequests, newTally } from "./support/nemesis-requests.ts";
import type { ProcessCluster } from "./support/process-cluster.ts";

/** What the stub answers next: a status and a body, or no answer within the client's timeout. */
let next: { status: number; body: unknown } | "hang" = { status: 200, body: {} };
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch() {
    const answer = next;
    if (answer === "hang") {
      await Bun.sleep(500);
      return new Response("{}", { status: 200 });
    }
    return Response.json(answer.body, { status: answer.status });
  },
});
afterAll(() => server.stop(true));

function setup() {
  const cluster = { url: (_id: number, path: string) => `http://127.0.0.1:${server.port}${path}` } as unknown as ProcessCluster;
  const recorder = new HistoryRecorder();
  const tally = newTally();
  return { recorder, tally, requests: new NemesisRequests(cluster, recorder, tally, 100) };
}

describe("nemesis requests", () => {
  test("a created topic is acknowledged; a 503 or a timeout leaves it indeterminate", async () => {
    const { recorder, requests } = setup();
    next = { status: 201, body: {} };
    await requests.createTopic(1, 1, "t-0");
    next = { status: 503, body: { error: "no_leader" } };
    await requests.createTopic(1, 1, "t-1");
    next = "hang";
    await requests.createTopic(1, 1, "t-2");
    const h = recorder.history();
    expect(h.map((op) => [op.input.key, op.ret === Infinity])).toEqual([["topic:t-0", false], ["topic:t-1", true], ["topic:t-2", true]]);
    expect(recorder.counts).toMatchObject({ writes: 3, acknowledged: 1, indeterminate: 2 });
  });

  test("409 on a fresh topic name is counted and indeterminate (the write did happen)", async () => {
    const { recorder, tally, requests } = setup();
    next = { status: 409, body: { error: "conflict" } };
    await requests.createTopic(1, 1, "t-0");
    expect(tally.conflictOnFreshName).toBe(1);
    expect(recorder.history()[0]?.ret).toBe(Infinity);
  });

  test("a broker read returns its host, 404 reads as absent, 504 leaves the read out", async () => {
    const { recorder, requests } = setup();
    next = { status: 200, body: { fields: { brokerHost: "h-1-2" } } };
    await requests.readBroker(1, 1, 4);
    next = { status: 404, body: { error: "not_found" } };
    await requests.readBroker(1, 1, 5);
    next = { status: 504, body: { error: "timeout" } };
    await requests.readBroker(1, 1, 6);
    expect(recorder.history().map((op) => [op.input.key, op.output])).toEqual([["broker:4", "h-1-2"], ["broker:5", null]]);
    expect(recorder.counts).toMatchObject({ reads: 3, readsAnswered: 2, readsUnanswered: 1 });
  });

  test("one topic list is a read of every name asked about", async () => {
    const { recorder, requests } = setup();
    next = { status: 200, body: { topics: [{ fields: { name: "t-1" } }] } };
    await requests.readTopics(0, 1, ["t-0", "t-1"]);
    expect(recorder.history().map((op) => [op.input.key, op.output])).toEqual([["topic:t-0", null], ["topic:t-1", "present"]]);
  });

  test("an answer that is neither a success, a 5xx nor a timeout fails the run", async () => {
    const { requests, tally } = setup();
    next = { status: 422, body: { error: "invalid" } };
    await expect(requests.updateBroker(1, 1, 1, "h")).rejects.toThrow("update broker 1: unexpected answer 422");
    next = { status: 500, body: { error: "internal" } };
    await requests.updateBroker(1, 1, 1, "h");
    expect(tally.internalErrors).toBe(1);
  });
});
