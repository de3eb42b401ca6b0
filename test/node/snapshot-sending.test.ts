// A leader sending a snapshot of many large chunks over the real transport, from SQLite: each chunk
// is read, encoded and framed into buffers that are freed once done with (issue 10), and none of
// that may change a byte the follower installs. A chunk read (a synchronous disk read) never holds
// the other followers' messages of the same Ready: they are sent first, the chunks one per turn.
import { afterEach, describe, expect, test } from "bun:test";
import { FREE_AT_BYTES } from "../../src/transport/owned-bytes.ts";
import { writeThroughLeader } from "./support/leader-write.ts";
import { ReadyWatch } from "./support/ready-watch.ts";
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

describe("a slow chunk read on the leader", () => {
  test("never holds the messages its Ready has for the other followers: they are handed to the transport before the read", async () => {
    // Small chunks, so the transfer takes many round trips.
    const chunkBytes = 4 * 1024;
    cluster = await RuntimeCluster.start({ size: 3, sqlite: true, seed: 23, overrides: { snapshotChunkBytes: chunkBytes } });
    const lagging = cluster.follower();
    await cluster.stopNode(lagging.id);
    let last = 0;
    for (let i = 0; i < 16; i++) last = await write(cluster, `k${i}`, "v".repeat(4 * 1024));
    await cluster.waitApplied(last);
    for (const id of [1, 2, 3].filter((n) => n !== lagging.id)) await cluster.node(id).runtime.snapshotNow();
    const leader = await cluster.waitForLeader();
    const watch = new ReadyWatch(leader, lagging.id, "SnapResp", (m) => m.type === "Snap");
    let reads = 0;
    let readsWithOthersWaiting = 0;
    const read = leader.storage.readSnapshotChunk.bind(leader.storage);
    leader.storage.readSnapshotChunk = (index, size, offset, length) => {
      reads++;
      if (watch.unsent.size > 0) readsWithOthersWaiting++;
      // A disk that takes its time: the loop is held past a tick.
      const until = performance.now() + 12;
      while (performance.now() < until);
      return read(index, size, offset, length);
    };
    const back = await cluster.restartNode(lagging.id, cluster.membershipOf([1, 2, 3]));
    await waitUntil("lagging node installed the snapshot", () => back.runtime.appliedIndex() >= last, 30_000);
    expect(back.runtime.metrics().yakt_raft_snapshots_installed_total).toBe(1);
    expect(reads).toBeGreaterThan(8);
    // Not vacuous: Readys held chunks and messages to the other follower together.
    expect(watch.mixedReadys).toBeGreaterThan(0);
    expect(readsWithOthersWaiting).toBe(0);
    expect([...back.sm.data]).toEqual([...cluster.node(leader.id).sm.data]);
    await watch.settled();
  });
});
