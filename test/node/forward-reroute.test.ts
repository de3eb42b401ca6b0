// Three runtimes over TCP: a request a follower forwards to a leader that then goes silent (frozen,
// as by SIGSTOP) is sent again to the new leader as soon as the follower learns of it, instead of
// waiting out the forward timeout (here 60 s, far past this test's own bound).
import { afterEach, describe, expect, test } from "bun:test";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster, type TestNode } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every node serves forwards by proposing the payload and answering with the entry's index. */
function serveForwards(nodes: Iterable<TestNode>, served: Map<number, number>): void {
  for (const n of nodes) {
    n.runtime.onForward(async (payload) => {
      const { index } = await n.runtime.propose(payload);
      served.set(n.id, (served.get(n.id) ?? 0) + 1);
      return encoder.encode(String(index));
    });
  }
}

describe("forwarding across a leader change", () => {
  test("a forward pending at a frozen leader goes to the new leader once it is known", async () => {
    // Elections after 500-1000 ms of silence, so the forward surely reaches the frozen leader first.
    cluster = await RuntimeCluster.start({ size: 3, seed: 11, overrides: { forwardTimeoutMs: 60_000, electionTicks: 50 } });
    const old = await cluster.waitForLeader();
    const served = new Map<number, number>();
    serveForwards(cluster.nodes.values(), served);
    const follower = cluster.follower();
    cluster.freeze(old.id);
    const reply = follower.runtime.forwardToLeader(kvCommand("rerouted", "yes"));
    const c = cluster;
    await waitUntil("the forward to wait at the frozen leader", () => c.heldRequests(old.id) === 1, 10_000);
    const index = Number(decoder.decode(await reply));
    const next = follower.runtime.leaderId();
    expect(next).not.toBe(old.id);
    expect(served.get(next)).toBe(1);
    expect(follower.runtime.metrics().yakt_raft_forwards_rerouted_total).toBeGreaterThanOrEqual(1);
    await waitUntil("the follower to apply the re-routed write", () => follower.runtime.appliedIndex() >= index, 10_000);
    expect(follower.sm.data.get("rerouted")).toBe("yes");

    // Thawed, the old leader serves the request it held: it no longer leads, so nothing is applied
    // there, and the follower (which gave up on that reply) is not disturbed.
    cluster.thaw(old.id);
    await cluster.waitForLeader();
    expect(served.get(old.id) ?? 0).toBe(0);
  }, 40_000);
});
