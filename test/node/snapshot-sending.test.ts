// A leader sending a snapshot of many large chunks over the real transport, from SQLite: each chunk
// is read, encoded and framed into buffers that are freed once done with (issue 10), and none of
// that may change a byte the follower installs. A chunk read (a synchronous disk read) never holds
// the other followers' messages of the same Ready: they are sent first, the chunks one per turn.
import { afterEach, describe, expect, test } from "bun:test";
import { ChunkBacklog } from "../../src/node/snapshot-sending.ts";
import type { Raft } from "../../src/raft/index.ts";
import type { Message, NodeId, Ready } from "../../src/raft/types.ts";
import type { Transport } from "../../src/transport/transport-types.ts";
import { FREE_AT_BYTES } from "../../src/transport/owned-bytes.ts";
import { writeThroughLeader } from "./support/leader-write.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const write = writeThroughLeader;

describe("snapshot sending", () => {
  test("chunks large enough to be freed once sent arrive whole: the follower installs the leader's snapshot byte for byte", async () => {
    // Chunks of twice the size the transport frees, so every chunk, its encoding and its frame are freed once done with.
    const chunkBytes = 2 * FREE_AT_BYTES;
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 21, overrides: { snapshotChunkBytes: chunkBytes } });
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    let last = 0;
    // 24 distinct keys of 24 KiB each: a snapshot of ~580 KB, five chunks, the last one partial.
    for (let i = 0; i < 24; i++) last = await write(cluster, `k${i}`, String.fromCharCode(97 + (i % 26)).repeat(24 * 1024));
    await cluster.waitApplied(last);
    const others = [1, 2, 3].filter((id) => id !== lagging.id);
    for (const id of others) await cluster.node(id).runtime.snapshotNow();
    const leader = await cluster.waitForLeader();
    const stored = leader.runtime.latestSnapshot()!.data;
    expect(stored.byteLength).toBeGreaterThan(4 * chunkBytes);
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("lagging node installed the snapshot", () => back.runtime.appliedIndex() >= last);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBe(1);
    expect(back.runtime.latestSnapshot()?.data).toEqual(stored);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    // The leader's store still reads whole after sending: the transport freed only its own copies.
    expect(leader.runtime.latestSnapshot()?.data).toEqual(stored);
    const queued = () => leader.runtime.transportStats()?.peers.find((p) => p.id === lagging.id)?.queuedBytes;
    await waitUntil("the leader's queue to the follower drained", () => queued() === 0);
  });
});

/** A message of `type` to `to`; the rest as the core leaves it, a chunk unfilled. */
function msg(type: Message["type"], to: NodeId, index = 0): Message {
  const snapshot = type === "Snap" ? { meta: { index: 9, term: 1, membership: { voters: [1, 2, 3], learners: [], addresses: {} } }, offset: index, total: 100, data: new Uint8Array(0), done: false } : null;
  return { type, to, from: 1, term: 1, logTerm: 0, index, commit: 0, entries: [], reject: false, rejectHint: 0, context: 0, force: false, snapshot, directoryId: "" } as Message;
}

const label = (ms: Message[] | null) => ms?.map((m) => `${m.type}>${m.to}@${m.index}`) ?? null;

describe("chunk backlog", () => {
  test("a chunk and what follows it to the same follower wait; the other followers' messages go now", () => {
    const backlog = new ChunkBacklog();
    const now = backlog.admit([msg("Heartbeat", 2), msg("Snap", 2, 0), msg("Heartbeat", 2, 1), msg("Heartbeat", 3), msg("App", 3, 5)]);
    expect(label(now)).toEqual(["Heartbeat>2@0", "Heartbeat>3@0", "App>3@5"]);
    expect(backlog.size).toBe(2);
    // A later batch's messages to the held follower stay behind its chunk; others still go.
    expect(label(backlog.admit([msg("App", 2, 7), msg("Heartbeat", 3, 2)]))).toEqual(["Heartbeat>3@2"]);
    expect(label(backlog.take())).toEqual(["Snap>2@0", "Heartbeat>2@1", "App>2@7"]);
    expect(backlog.take()).toBeNull();
    expect(backlog.size).toBe(0);
  });

  test("one chunk per take, the followers in turn, each follower's order kept", () => {
    const backlog = new ChunkBacklog();
    backlog.admit([msg("Snap", 2, 0), msg("Heartbeat", 2, 1), msg("Snap", 2, 10), msg("Snap", 4, 0), msg("App", 2, 3)]);
    expect(label(backlog.take())).toEqual(["Snap>2@0", "Heartbeat>2@1"]);
    expect(label(backlog.take())).toEqual(["Snap>4@0"]);
    expect(label(backlog.take())).toEqual(["Snap>2@10", "App>2@3"]);
    expect(backlog.take()).toBeNull();
  });

  test("clear drops what is held", () => {
    const backlog = new ChunkBacklog();
    backlog.admit([msg("Snap", 2, 0), msg("Heartbeat", 2, 1)]);
    backlog.clear();
    expect(backlog.size).toBe(0);
    expect(backlog.take()).toBeNull();
    expect(label(backlog.admit([msg("Heartbeat", 2, 2)]))).toEqual(["Heartbeat>2@2"]);
  });
});

/** The runtime's private parts this test watches (reached by name: they are not API). */
interface RuntimeInsides {
  raft: Raft;
  transport: Transport;
}

describe("a slow chunk read on the leader", () => {
  test("never holds the messages its Ready has for the other followers: they are handed to the transport before the read", async () => {
    // Small chunks, so the transfer takes many round trips and heartbeat ticks fall between them.
    const chunkBytes = 4 * 1024;
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 23, overrides: { snapshotChunkBytes: chunkBytes } });
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    let last = 0;
    for (let i = 0; i < 16; i++) last = await write(cluster, `k${i}`, "v".repeat(4 * 1024));
    await cluster.waitApplied(last);
    for (const id of [1, 2, 3].filter((n) => n !== lagging.id)) await cluster.node(id).runtime.snapshotNow();
    const leader = await cluster.waitForLeader();
    const insides = leader.runtime as unknown as RuntimeInsides;
    // Messages the core handed out for followers other than the lagging one, not yet given to the transport.
    const unsent = new Set<Message>();
    let mixedReadys = 0;
    let readsWithOthersWaiting = 0;
    let reads = 0;
    const ready = insides.raft.ready.bind(insides.raft);
    insides.raft.ready = (): Ready => {
      const rd = ready();
      const others = rd.messages.filter((m) => m.to !== lagging.id);
      if (others.length > 0 && rd.messages.some((m) => m.type === "Snap")) mixedReadys++;
      for (const m of others) unsent.add(m);
      return rd;
    };
    // Each chunk's answer comes with a read round, whose heartbeats go to every follower in the
    // same Ready as the next chunk: the Ready the fault needs, made every time rather than by luck.
    const step = insides.raft.step.bind(insides.raft);
    const rounds: Promise<void>[] = [];
    insides.raft.step = (m: Message) => {
      if (m.type === "SnapResp") rounds.push(leader.runtime.readBarrier());
      return step(m);
    };
    const send = insides.transport.send.bind(insides.transport);
    insides.transport.send = (msgs: Message[]) => {
      for (const m of msgs) unsent.delete(m);
      send(msgs);
    };
    const read = leader.storage.readSnapshotChunk.bind(leader.storage);
    leader.storage.readSnapshotChunk = (index, size, offset, length) => {
      reads++;
      if (unsent.size > 0) readsWithOthersWaiting++;
      // A disk that takes its time: the loop is held past a tick, so the next Ready holds heartbeats too.
      const until = performance.now() + 12;
      while (performance.now() < until);
      return read(index, size, offset, length);
    };
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("lagging node installed the snapshot", () => back.runtime.appliedIndex() >= last, 30_000);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBe(1);
    expect(reads).toBeGreaterThan(8);
    // Not vacuous: Readys held chunks and messages to the other follower together.
    expect(mixedReadys).toBeGreaterThan(0);
    expect(readsWithOthersWaiting).toBe(0);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    await Promise.all(rounds);
  });
});
