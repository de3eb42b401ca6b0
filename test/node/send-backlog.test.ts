// The leader's bulky messages (snapshot chunks, big Apps) leave one per turn of the event loop,
// after everything light, each follower's messages in the core's order (issue 10: a leader
// catching up a restarted follower must not hold the other follower's heartbeats). The backlog
// alone, then a leader catching a restarted follower up by Apps of large entries.
import { afterEach, describe, expect, test } from "bun:test";
import { bulkAppBytes, DEFAULT_MAX_MSG_BYTES } from "../../src/node/flow-bounds.ts";
import { isBulky, SendBacklog } from "../../src/node/send-backlog.ts";
import type { Message, NodeId } from "../../src/raft/types.ts";
import { writeThroughLeader } from "./support/leader-write.ts";
import { ReadyWatch } from "./support/ready-watch.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

const BULK = 100;

/** A message of `type` to `to` carrying `bytes` of entry data (an App) or an unfilled chunk (a Snap). */
function msg(type: Message["type"], to: NodeId, index = 0, bytes = 0): Message {
  const snapshot = type === "Snap" ? { meta: { index: 9, term: 1, membership: { voters: [1, 2, 3], learners: [], addresses: {} } }, offset: index, total: 100, data: new Uint8Array(0), done: false } : null;
  const entries = bytes > 0 ? [{ index: index + 1, term: 1, type: "normal", data: new Uint8Array(bytes) }] : [];
  return { type, to, from: 1, term: 1, logTerm: 0, index, commit: 0, entries, reject: false, rejectHint: 0, context: 0, force: false, snapshot, directoryId: "" } as Message;
}

const label = (ms: Message[] | null) => ms?.map((m) => `${m.type}>${m.to}@${m.index}`) ?? null;

describe("send backlog", () => {
  test("bulky: a chunk, or an App of more than the bound; never anything else", () => {
    expect(isBulky(msg("Snap", 2), BULK)).toBe(true);
    expect(isBulky(msg("App", 2, 0, BULK + 1), BULK)).toBe(true);
    expect(isBulky(msg("App", 2, 0, BULK), BULK)).toBe(false);
    expect(isBulky(msg("Heartbeat", 2), BULK)).toBe(false);
    expect(bulkAppBytes(DEFAULT_MAX_MSG_BYTES)).toBeLessThan(DEFAULT_MAX_MSG_BYTES);
    expect(bulkAppBytes(1)).toBe(1);
  });

  test("a bulky message and what follows it to the same follower wait; the other followers' messages go now", () => {
    const backlog = new SendBacklog(BULK);
    const now = backlog.admit([msg("Heartbeat", 2), msg("Snap", 2, 0), msg("Heartbeat", 2, 1), msg("Heartbeat", 3), msg("App", 3, 5, BULK)]);
    expect(label(now)).toEqual(["Heartbeat>2@0", "Heartbeat>3@0", "App>3@5"]);
    expect(backlog.size).toBe(2);
    // A later batch's messages to the held follower stay behind; the others still go.
    expect(label(backlog.admit([msg("App", 2, 7), msg("Heartbeat", 3, 2)]))).toEqual(["Heartbeat>3@2"]);
    expect(label(backlog.take())).toEqual(["Snap>2@0", "Heartbeat>2@1", "App>2@7"]);
    expect(backlog.take()).toBeNull();
    expect(backlog.size).toBe(0);
  });

  test("one bulky message per take, the followers in turn, each follower's order kept", () => {
    const backlog = new SendBacklog(BULK);
    backlog.admit([msg("App", 2, 0, BULK + 1), msg("Heartbeat", 2, 1), msg("App", 2, 10, BULK + 1), msg("Snap", 4, 0), msg("App", 2, 3)]);
    expect(label(backlog.take())).toEqual(["App>2@0", "Heartbeat>2@1"]);
    expect(label(backlog.take())).toEqual(["Snap>4@0"]);
    expect(label(backlog.take())).toEqual(["App>2@10", "App>2@3"]);
    expect(backlog.take()).toBeNull();
  });

  test("clear drops what is held", () => {
    const backlog = new SendBacklog(BULK);
    backlog.admit([msg("Snap", 2, 0), msg("Heartbeat", 2, 1)]);
    backlog.clear();
    expect(backlog.size).toBe(0);
    expect(backlog.take()).toBeNull();
    expect(label(backlog.admit([msg("Heartbeat", 2, 2)]))).toEqual(["Heartbeat>2@2"]);
  });
});

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

describe("a leader catching a restarted follower up by Apps", () => {
  test("hands the other follower's messages of a Ready to the transport before the catching-up one's bulky Apps, and each bulky App alone", async () => {
    // Apps of at most 64 KiB, bulky past 16 KiB: a window of 8 of them, entries of 12 KiB.
    const maxMsgBytes = 64 * 1024;
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 29, overrides: { maxMsgBytes, maxInflightBytes: 8 * maxMsgBytes } });
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    let last = 0;
    for (let i = 0; i < 64; i++) last = await writeThroughLeader(cluster, `k${i}`, "v".repeat(12 * 1024));
    await cluster.waitApplied(last);
    const leader = await cluster.waitForLeader();
    const bulky = (m: Message) => isBulky(m, bulkAppBytes(maxMsgBytes));
    const watch = new ReadyWatch(leader, lagging.id, "AppResp", bulky);
    let bulkyApps = 0;
    let bulkyWithOthersWaiting = 0;
    let bulkyNotAlone = 0;
    watch.onSend = (msgs) => {
      const count = msgs.filter(bulky).length;
      if (count === 0) return;
      bulkyApps += count;
      if (count > 1) bulkyNotAlone++;
      if (watch.unsent.size > 0 || msgs.some((m) => m.to !== lagging.id)) bulkyWithOthersWaiting++;
    };
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("lagging node caught up", () => back.runtime.appliedIndex() >= last, 30_000);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBe(0);
    expect(bulkyApps).toBeGreaterThan(4);
    // Not vacuous: Readys held bulky Apps and messages to the other follower together.
    expect(watch.mixedReadys).toBeGreaterThan(0);
    expect(bulkyWithOthersWaiting).toBe(0);
    expect(bulkyNotAlone).toBe(0);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    await watch.settled();
  });
});
