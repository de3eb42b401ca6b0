// A node that is not the leader takes no Ready while its flush is in flight (but one per tick): what
// arrives meanwhile is written as one Ready once the flush ends, and acknowledged only after that
// write is durable. Three runtimes over TCP; one follower's flushes are held by the test.
import { afterEach, describe, expect, test } from "bun:test";
import type { NodeId } from "../../src/raft/types.ts";
import { MemoryStorage } from "../../src/storage/index.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

/** A MemoryStorage whose flushes answer only when the test lets them. */
class HeldFlushStorage extends MemoryStorage {
  holding = false;
  private readonly held: Array<(error: Error | null) => void> = [];

  get heldFlushes(): number {
    return this.held.length;
  }

  override flush(done: (error: Error | null) => void): void {
    if (this.holding) this.held.push(done);
    else super.flush(done);
  }

  release(): void {
    this.holding = false;
    for (const done of this.held.splice(0)) done(null);
  }
}

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

describe("a follower under a slow flush", () => {
  test("writes what arrives during its flush as one Ready afterwards, and acknowledges only once durable", async () => {
    const stores = new Map<NodeId, HeldFlushStorage>();
    // Long ticks, so the one-Ready-per-tick allowance stays small next to the appends sent.
    cluster = await RuntimeCluster.start({
      size: 3,
      seed: 7,
      tickMs: 50,
      storage: (id) => {
        const store = new HeldFlushStorage();
        stores.set(id, store);
        return store;
      },
    });
    const leader = await cluster.waitForLeader();
    const { index: first } = await leader.runtime.propose(kvCommand("k", "0"));
    await cluster.waitApplied(first);
    const follower = cluster.follower();
    const store = stores.get(follower.id)!;
    const before = follower.runtime.metrics();
    store.holding = true;

    // One proposal at a time, each heard by the follower before the next: every append reaches it
    // on its own, in its own turn of its loop.
    const writes: Promise<{ index: number }>[] = [];
    const heard = () => follower.runtime.metrics().yakt_raft_messages_received_total;
    for (let i = 1; i <= 12; i++) {
      const was = heard();
      writes.push(leader.runtime.propose(kvCommand("k", String(i))));
      await waitUntil(`the follower heard append ${i}`, () => heard() > was, 10_000, 1);
    }
    const held = follower.runtime.metrics();
    const readys = held.yakt_raft_ready_cycles_total - before.yakt_raft_ready_cycles_total;
    const ticks = held.yakt_raft_ticks_total - before.yakt_raft_ticks_total;
    expect(store.heldFlushes).toBe(1);
    // The first append's Ready started the flush; after it, at most one Ready per tick.
    expect(readys).toBeGreaterThanOrEqual(1);
    expect(readys).toBeLessThanOrEqual(1 + ticks);
    // Nothing after the held flush is applied or acknowledged: the leader still sees the follower at `first`.
    expect(follower.runtime.appliedIndex()).toBe(first);
    const seen = () => leader.runtime.status().members.find((m) => m.id === follower.id)!.logEndOffset;
    expect(seen()).toBe(first);

    const last = (await Promise.all(writes)).at(-1)!.index; // the other follower makes the quorum
    store.release();
    await waitUntil("the follower applied every write", () => follower.runtime.appliedIndex() >= last, 10_000);
    expect(follower.sm.data.get("k")).toBe("12");
    const after = follower.runtime.metrics();
    expect(after.yakt_raft_flushes_total - before.yakt_raft_flushes_total).toBeLessThanOrEqual(after.yakt_raft_ready_cycles_total - before.yakt_raft_ready_cycles_total);
  });
});
