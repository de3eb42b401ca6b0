// Issue 9 §3 on real processes: floods of a node's peer port. 500 connections that never
// handshake, reopened as they are cut, must not keep a restarting voter out when the cluster needs
// it for a quorum; 40 connections each sending a 16 MiB frame before any handshake must not grow
// the node's memory or cost a leader change. RSS is printed for the report.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { waitUntil } from "../node/support/wait-until.ts";
import { http } from "./support/http.ts";
import { metric } from "./support/metadata-client.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { peakRssMiB, rssMiB } from "./support/proc-stats.ts";

const cluster = new ProcessCluster(3);
beforeAll(() => cluster.startAll());
afterAll(() => cluster.stopAll());

/** Keeps `count` silent connections open to `address`, reopening each as soon as it is cut. */
class Flood {
  private stopped = false;
  private readonly open = new Set<Socket<undefined>>();
  opened = 0;

  constructor(
    private readonly port: number,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.connect();
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.open) s.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    this.opened++;
    const again = () => setTimeout(() => this.connect(), 5);
    Bun.connect({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        open: (s) => {
          this.open.add(s);
        },
        data: () => {},
        close: (s) => {
          this.open.delete(s);
          again();
        },
        error: () => {},
      },
    }).catch(again);
  }
}

function peerPort(id: number): number {
  return Number(cluster.peerAddress(id).split(":")[1]);
}

test("500 connections that never handshake do not keep a restarting voter out of the quorum", async () => {
  const leader = await cluster.waitForLeader();
  const [a, b] = cluster.ids.filter((i) => i !== leader) as [number, number];
  await cluster.kill(a);
  await cluster.kill(b);
  // The old leader alone has no quorum; it needs `a` back, whose messages reach it only through
  // its flooded peer port.
  const flood = new Flood(peerPort(leader), 500);
  try {
    await waitUntil("the flood is on", () => flood.opened >= 500, 10_000);
    cluster.start(a);
    const next = await cluster.waitForLeader(30_000);
    expect([leader, a]).toContain(next);
    // The quorum is back; a term may still turn over once while the flood goes on (a 503 with
    // Retry-After is the right answer then), so the write is retried as a client would, bounded.
    let status = 0;
    let tries = 0;
    await waitUntil("a write is acknowledged after the flood", async () => {
      tries++;
      const target = (await cluster.waitForLeader(10_000).catch(() => next)) ?? next;
      status = (await http("POST", cluster.url(target, "/v1/topics"), { name: "after-the-flood" }, 10_000)).status;
      return status === 201 || status === 409; // 409: an earlier try committed before its answer was lost
    }, 30_000, 100);
    expect([201, 409]).toContain(status);
    const metrics = String((await http("GET", cluster.url(leader, "/metrics"))).body);
    const evicted = Number(/yakt_transport_evicted_connections_total (\d+)/.exec(metrics)?.[1] ?? 0);
    const turnedAway = Number(/yakt_transport_turned_away_connections_total (\d+)/.exec(metrics)?.[1] ?? -1);
    console.log(`peer-port flood: ${flood.opened} connections opened against node ${leader}, ${evicted} evicted, ${turnedAway} turned away; node ${a} rejoined, leader ${next}, write acknowledged after ${tries} tries`);
    expect(evicted).toBeGreaterThan(0);
    // Newcomers are turned away only while the waiting connections that could make room settle.
    expect(turnedAway).toBeGreaterThanOrEqual(0);
  } finally {
    flood.stop();
    // Also when an expectation failed: the next test needs every node up (run 3 of the last CI
    // showed its "status undefined" was this node left down by a failure here).
    cluster.start(b);
  }
  await cluster.waitForLeader(30_000);
}, 90_000);

test("40 connections each sending a 16 MiB frame before the handshake: memory stays flat, no leader change", async () => {
  const leader = await cluster.waitForLeader();
  const before = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
  const pid = cluster.pid(leader);
  const rssBefore = rssMiB(pid);
  const frame = new Uint8Array(4 + 16 * 1024 * 1024);
  new DataView(frame.buffer).setUint32(0, 16 * 1024 * 1024);
  frame[4] = 1; // a "handshake" 16 MiB long
  const badFramesBefore = await metric(cluster, leader, "yakt_transport_bad_frames_total");
  let closed = 0;
  const sockets: Socket<undefined>[] = [];
  for (let i = 0; i < 40; i++) {
    try {
      sockets.push(
        await Bun.connect({
          hostname: "127.0.0.1",
          port: peerPort(leader),
          socket: { data: () => {}, close: () => void closed++, error: () => {} },
        }),
      );
    } catch (error) {
      // Turned away at its accept, while the address's waiting slots settled: reset before it opened.
      if ((error as { code?: string }).code !== "ECONNRESET") throw error;
      closed++;
    }
  }
  for (const s of sockets) s.write(frame);
  let rssMax = rssBefore;
  await waitUntil("every flooding connection closed by the node", () => {
    rssMax = Math.max(rssMax, rssMiB(pid));
    return closed === 40;
  }, 20_000, 20);
  for (const s of sockets) s.terminate();
  const after = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
  console.log(`pre-handshake frames: leader RSS ${rssBefore} MiB before, at most ${rssMax} MiB during, peak since start ${peakRssMiB(pid)} MiB`);
  expect(rssMax - rssBefore).toBeLessThan(64);
  // Those admitted sent their 16 MiB header and were cut for it, the body unread.
  expect((await metric(cluster, leader, "yakt_transport_bad_frames_total")) - badFramesBefore).toBeGreaterThan(0);
  for (let i = 0; i < after.length; i++) {
    expect(after[i]?.leader).toBe(leader);
    expect(after[i]?.term).toBe(before[i]?.term);
  }
}, 60_000);
