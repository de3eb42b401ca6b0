// Issue 9 §5 on real processes: a follower that cannot hear its leader (a one-way link through
// the test's TCP proxy that stops carrying, as a lossy network does, or drops), while clients
// write and read for a while, then the link heals. The leader must keep answering HTTP
// and heartbeats through the heal, no leader change may follow from it, its memory stays
// bounded, and the follower catches up. Memory and CPU are printed for the report, not asserted
// against a time.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { http } from "./support/http.ts";
import { ProcessCluster } from "./support/process-cluster.ts";
import { cpuMs, peakRssMiB, rssMiB } from "./support/proc-stats.ts";

const WRITE_MS = 12_000;
const WRITERS = 16;
const READERS = 4;
/** Bound on one poll of the leader during the heal: far above a healthy answer, far below a freeze. */
const POLL_TIMEOUT_MS = 2_000;
const HEAL_WATCH_MS = 6_000;
/** "stall": the link stops carrying and backs up (as the issue saw it); "deaf": it silently drops. */
const MODE = (process.env.YAKT_DEAF_MODE ?? "stall") as "stall" | "deaf";

// Elections after 0.5-1 s of silence rather than 0.1-0.2 s: the test is about the heal, and on a
// loaded shared machine a 12-s write load can starve a leader past the short default.
const cluster = new ProcessCluster(3, ["--snapshot-entries", "1500", "--election-ticks", "50"], 3, { proxied: true });
beforeAll(() => cluster.startAll());
afterAll(() => cluster.stopAll());

/** Clients create topics (with partitions, so entries are a few KB) through `leader` and read one back (reads run ReadIndex rounds: heartbeats). */
async function load(leader: number, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let written = 0;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; Date.now() < until; i++) {
      const r = await http("POST", cluster.url(leader, "/v1/topics"), { name: `deaf-${w}-${i}`, partitions: 8, replicationFactor: 3 }, 5_000);
      if (r.status === 201) written++;
    }
  };
  const reader = async (): Promise<void> => {
    while (Date.now() < until) await http("GET", cluster.url(leader, "/v1/topics/deaf-0-0"), undefined, 5_000);
  };
  await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w)), ...Array.from({ length: READERS }, reader)]);
  return written;
}

test("a leader keeps serving through the heal of a deaf follower's link, and the follower catches up", async () => {
  const target = await cluster.waitForLeader();
  const deaf = cluster.ids.find((i) => i !== target) as number;
  // The follower is in replicate state when its link stops carrying: the leader keeps sending it
  // Apps until its inflight window (count and bytes) is full.
  cluster.link(target, deaf).setMode(MODE);
  const pid = cluster.pid(target);
  const termBefore = (await cluster.status(target))?.term;

  for (const brokerId of [1, 2, 3]) {
    const body = { brokerId, brokerHost: `b${brokerId}.local`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${brokerId}` };
    expect((await http("POST", cluster.url(target, "/v1/brokers"), body)).status).toBe(201);
  }
  const written = await load(target, WRITE_MS);
  expect(written).toBeGreaterThan(0);
  const leaderStatus = await cluster.status(target);
  const commit = leaderStatus?.commitOffset ?? 0;
  expect((await cluster.status(deaf))?.appliedOffset ?? 0).toBeLessThan(commit);
  const beforeHeal = { rss: rssMiB(pid), cpu: cpuMs(pid) };

  cluster.healAll();
  const healedAt = Date.now();
  let polls = 0;
  let slowest = 0;
  const failures: string[] = [];
  let healRss = 0;
  while (Date.now() - healedAt < HEAL_WATCH_MS) {
    const started = Date.now();
    const [health, status] = await Promise.all([
      http("GET", cluster.url(target, "/healthz"), undefined, POLL_TIMEOUT_MS),
      http("GET", cluster.url(target, "/v1/cluster"), undefined, POLL_TIMEOUT_MS),
    ]);
    slowest = Math.max(slowest, Date.now() - started);
    const leader = (status.body as { leader?: number } | null)?.leader;
    if (health.status !== 200 || status.status !== 200 || leader !== target) {
      failures.push(`+${started - healedAt} ms: healthz ${health.status}, cluster ${status.status}, leader ${leader}`);
    }
    polls++;
    healRss = Math.max(healRss, rssMiB(pid));
    await Bun.sleep(50);
  }
  const afterHeal = { rss: rssMiB(pid), peak: peakRssMiB(pid), cpu: cpuMs(pid) };
  const events = new Map<string, number>();
  for (const line of cluster.log(target).split("\n")) {
    const event = /"event":"(peer_[a-z_]+|connect_[a-z_]+|raft\.snapshot-send|snapshot_taken)"/.exec(line)?.[1];
    if (event) events.set(event, (events.get(event) ?? 0) + 1);
  }
  const metrics = await http("GET", cluster.url(target, "/metrics"));
  const dropped = /yakt_transport_dropped_messages_total (\d+)/.exec(String(metrics.body))?.[1];
  console.log(
    `deaf follower: ${written} topics written while deaf (commit ${commit}); leader RSS ${beforeHeal.rss} MiB before the heal, ` +
      `${afterHeal.rss} MiB after, at most ${healRss} MiB during the heal, peak ${afterHeal.peak} MiB; leader CPU in the ${HEAL_WATCH_MS} ms after the heal ` +
      `${Math.round(afterHeal.cpu - beforeHeal.cpu)} ms; ${polls} polls, slowest ${slowest} ms; transport drops ${dropped}; leader events ${JSON.stringify(Object.fromEntries(events))}; ` +
      `failed polls ${failures.length}${failures.length > 0 ? ` (first: ${failures[0]})` : ""}`,
  );
  expect(failures).toEqual([]);
  // Nothing the leader holds grows with the follower's backlog: the heal costs at most a window.
  // The bug this guards grew the leader by 300–450 MiB; RSS also moves with when the collector
  // last ran (up to ~110 MiB of garbage seen here), so the bound sits between the two.
  expect(healRss - beforeHeal.rss).toBeLessThan(200);
  await waitUntil("the deaf follower catches up", async () => ((await cluster.status(deaf))?.appliedOffset ?? 0) >= commit, 30_000, 50);
  for (const id of cluster.ids) {
    const s = await cluster.status(id);
    expect(s?.leader).toBe(target);
    expect(s?.term).toBe(termBefore);
  }
}, 120_000);
