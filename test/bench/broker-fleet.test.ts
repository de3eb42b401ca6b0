// The broker fleet of the mixed benchmark (scripts/bench/broker-fleet.ts) against a fake node that
// long-polls like BrokerMgmt: on the main thread and in a worker thread, every broker's every
// record reaches the AckLog once, polls and refusals are counted, and stop() ends every loop.
import { afterAll, describe, expect, test } from "bun:test";
import { AckLog, BrokerFleet, type FleetOptions, ackedOffset, wallNow } from "../../scripts/bench/broker-fleet.ts";
import type { ProcessCluster } from "../cluster/support/process-cluster.ts";
import { waitUntil } from "../node/support/wait-until.ts";

interface Parked {
  since: number;
  answer: (body: unknown) => void;
}

/** A node whose log grows only on commit(); a poll with nothing new waits for it or for wait_ms. */
function fakeNode() {
  let offset = 10;
  let parked: Parked[] = [];
  let refuseNext = 0;
  const record = (at: number) => ({ type: "metadata", name: "TopicRecord", offset: at, timestamp: "2026-12-07T00:00:00.000Z", fields: { topicUUID: `u${at}`, name: `t${at}` } });
  const diff = (since: number) => ({ mode: "diff", offset, records: Array.from({ length: offset - since }, (_, i) => record(since + 1 + i)) });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as { since?: number; wait_ms: number };
      if (refuseNext > 0) {
        refuseNext--;
        return Response.json({ error: "no_leader", message: "test" }, { status: 503, headers: { "retry-after": "0" } });
      }
      if (body.since === undefined) return Response.json({ mode: "snapshot", offset, snapshot: { brokers: [], topics: [], partitions: [], producers: [] } });
      if (body.since < offset) return Response.json(diff(body.since));
      const since = body.since;
      return new Promise<Response>((resolve) => {
        const timer = setTimeout(() => done({ mode: "diff", offset, records: [] }), body.wait_ms);
        const done = (answer: unknown) => {
          clearTimeout(timer);
          parked = parked.filter((p) => p !== entry);
          resolve(Response.json(answer));
        };
        const entry: Parked = { since, answer: done };
        parked.push(entry);
      });
    },
  });
  return {
    server,
    get parked() {
      return parked.length;
    },
    get offset() {
      return offset;
    },
    refuse(n: number) {
      refuseNext = n;
    },
    commit() {
      offset++;
      for (const p of [...parked]) p.answer(diff(p.since));
    },
  };
}

const node = fakeNode();
afterAll(() => node.server.stop(true));
const cluster = { live: () => [7], url: (_id: number, path: string) => `http://127.0.0.1:${node.server.port}${path}` } as unknown as ProcessCluster;

describe.each([0, 1])("BrokerFleet with %i worker threads", (threads) => {
  test("every record of every broker reaches the AckLog once; refused polls are counted", async () => {
    const opts: FleetOptions = { brokers: 5, heartbeatMs: 300, racks: 1, firstId: 1, threads, mode: "poll" };
    const acks = new AckLog();
    const fleet = new BrokerFleet(cluster, acks, opts);
    const first = node.offset + 1;
    fleet.start();
    await waitUntil("every broker parked", () => node.parked === opts.brokers, 20_000, 5);
    for (let i = 0; i < 3; i++) {
      acks.note(node.offset + 1, wallNow());
      node.commit();
      await waitUntil("every broker parked again", () => node.parked === opts.brokers, 20_000, 5);
    }
    node.refuse(2);
    node.commit(); // not acknowledged by any writer: never counted
    await waitUntil("the fleet's reports in", () => fleet.failedPolls === 2 && acks.propagationMs.length === 3 * opts.brokers, 20_000, 5);
    await fleet.stop();
    expect(acks.propagationMs).toHaveLength(3 * opts.brokers);
    expect(acks.byNode.get(7)).toHaveLength(3 * opts.brokers);
    for (const ms of acks.propagationMs) expect(ms).toBeGreaterThanOrEqual(0);
    expect(fleet.pollFailures.get('503 {"error":"no_leader","message":"test"}')).toBe(2);
    expect(fleet.polls).toBeGreaterThanOrEqual(opts.brokers * 5);
    expect(node.offset).toBe(first + 3);
    await waitUntil("the fleet's polls all ended", () => node.parked === 0, 5_000, 5);
  });
});

test("a fleet refuses a negative thread count", () => {
  expect(() => new BrokerFleet(cluster, new AckLog(), { brokers: 1, heartbeatMs: 100, racks: 1, firstId: 1, threads: -1, mode: "poll" })).toThrow("0 (the main thread) or more");
});

describe("ackedOffset", () => {
  test("a record's offset, or a created topic's, is what the write acknowledges", () => {
    expect(ackedOffset({ type: "metadata", name: "ProducerIdsRecord", offset: 41, fields: {} })).toBe(41);
    expect(ackedOffset({ topic: { type: "metadata", name: "TopicRecord", offset: 42, fields: {} }, partitions: [] })).toBe(42);
  });

  test("an answer naming no usable offset acknowledges nothing", () => {
    for (const answer of [null, 7, "x", {}, { topic: null }, { topic: {} }, { offset: "42" }, { offset: 0 }, { offset: 1.5 }, { topic: { offset: -1 } }]) {
      expect(ackedOffset(answer)).toBeNull();
    }
  });
});
