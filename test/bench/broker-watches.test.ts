// The watching broker fleet of the mixed benchmark (FLEET_MODE=watch: scripts/bench/broker-watches.ts
// over sse-client.ts) against a fake node that streams watch events: on the main thread and in a
// worker thread, each broker's first heartbeat brings the image and its stream starts after it,
// every broker's every acknowledged record reaches the AckLog once even when an event comes split
// over chunks, later heartbeats carry the stream's offset, a cut stream is counted and resumed
// with Last-Event-ID, and stop() ends every stream.
import { afterAll, describe, expect, test } from "bun:test";
import { AckLog, BrokerFleet, type FleetOptions, wallNow } from "../../scripts/bench/broker-fleet.ts";
import type { ProcessCluster } from "../cluster/support/process-cluster.ts";
import { waitUntil } from "../node/support/wait-until.ts";

function fakeNode() {
  let offset = 10;
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const resumedFrom: number[] = [];
  const heartbeatSince: number[] = [];
  const encoder = new TextEncoder();
  const record = (at: number) => `event: record\nid: ${at}\ndata: {"type":"metadata","name":"TopicRecord","offset":${at},"fields":{"name":"t${at}"}}\n\n`;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (request.method === "POST") {
        const body = (await request.json()) as { since?: number };
        heartbeatSince.push(body.since ?? -1);
        if (body.since === undefined) return Response.json({ mode: "snapshot", offset, snapshot: { brokers: [], topics: [], partitions: [], producers: [] } });
        return Response.json({ mode: "diff", offset, records: [] });
      }
      const last = request.headers.get("last-event-id");
      if (last === null) return Response.json({ error: "bad_request", message: "the fleet resumes from its image" }, { status: 400 });
      resumedFrom.push(Number(last));
      let mine: ReadableStreamDefaultController<Uint8Array> | null = null;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          mine = c;
          streams.add(c);
          c.enqueue(encoder.encode("retry: 1000\n\n: hello\n\n"));
          for (let at = Number(last) + 1; at <= offset; at++) c.enqueue(encoder.encode(record(at)));
        },
        cancel() {
          if (mine) streams.delete(mine);
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  /** Sends `text` to every stream, split in two chunks at `splitAt`. */
  const broadcast = (text: string, splitAt: number) => {
    for (const c of streams) {
      c.enqueue(encoder.encode(text.slice(0, splitAt)));
      c.enqueue(encoder.encode(text.slice(splitAt)));
    }
  };
  return {
    server,
    resumedFrom,
    heartbeatSince,
    get streams() {
      return streams.size;
    },
    get offset() {
      return offset;
    },
    commit(splitAt: number) {
      offset++;
      broadcast(record(offset), splitAt);
    },
    cutAll() {
      for (const c of [...streams]) {
        c.enqueue(encoder.encode('event: cut\ndata: {"error":"slow_watcher","message":"test"}\n\n'));
        c.close();
        streams.delete(c);
      }
    },
  };
}

const node = fakeNode();
afterAll(() => node.server.stop(true));
const cluster = { live: () => [7], url: (_id: number, path: string) => `http://127.0.0.1:${node.server.port}${path}` } as unknown as ProcessCluster;

describe.each([0, 1])("a watching BrokerFleet with %i worker threads", (threads) => {
  test("every acknowledged record of every broker reaches the AckLog once; cuts are counted and resumed", async () => {
    const opts: FleetOptions = { brokers: 4, heartbeatMs: 200, racks: 1, firstId: 1, threads, mode: "watch" };
    const acks = new AckLog();
    const fleet = new BrokerFleet(cluster, acks, opts);
    const heartbeats0 = node.heartbeatSince.length;
    const resumed0 = node.resumedFrom.length;
    fleet.start();
    await waitUntil("every broker watching", () => node.streams === opts.brokers, 20_000, 5);
    // Each broker's first heartbeat brought the image; its stream starts after the image's offset.
    expect(node.heartbeatSince.slice(heartbeats0, heartbeats0 + opts.brokers)).toEqual(Array(opts.brokers).fill(-1));
    expect(node.resumedFrom.slice(resumed0)).toEqual(Array(opts.brokers).fill(node.offset));
    // Later heartbeats ask from the offset the stream reached.
    await waitUntil("every broker heartbeated again", () => node.heartbeatSince.length >= heartbeats0 + 2 * opts.brokers, 20_000, 5);
    expect(node.heartbeatSince.slice(heartbeats0 + opts.brokers).every((since) => since === node.offset)).toBe(true);
    for (const splitAt of [1, 20, 40]) {
      acks.note(node.offset + 1, wallNow());
      node.commit(splitAt);
    }
    await waitUntil("the records arrived", () => acks.propagationMs.length === 3 * opts.brokers, 20_000, 5);
    const before = node.offset;
    node.cutAll();
    await waitUntil("every broker resumed", () => node.streams === opts.brokers, 20_000, 5);
    expect(node.resumedFrom.slice(-opts.brokers)).toEqual(Array(opts.brokers).fill(before));
    acks.note(node.offset + 1, wallNow());
    node.commit(5);
    await waitUntil("the record after the cut arrived", () => acks.propagationMs.length === 4 * opts.brokers, 20_000, 5);
    await waitUntil("the cuts reported", () => fleet.failedPolls >= 2 * opts.brokers, 20_000, 5);
    await fleet.stop();
    expect(acks.propagationMs).toHaveLength(4 * opts.brokers);
    for (const ms of acks.propagationMs) expect(ms).toBeGreaterThanOrEqual(0);
    // A cut is its event and its stream's end, each counted once per broker.
    expect(fleet.pollFailures.get('cut: {"error":"slow_watcher","message":"test"}')).toBe(opts.brokers);
    expect(fleet.pollFailures.get("the server ended the stream")).toBe(opts.brokers);
    expect(fleet.polls).toBeGreaterThanOrEqual(opts.brokers);
    await waitUntil("the fleet's streams all ended", () => node.streams === 0, 5_000, 5);
  });
});
