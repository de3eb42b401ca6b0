// The nemesis's TCP proxy on real processes: a proxied cluster elects through its proxies, a
// leader cut off on every link is replaced, a link made deaf stops what crosses it, and healing
// brings the old leader back as a follower.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitUntil } from "../node/support/wait-until.ts";
import { ProcessCluster } from "./support/process-cluster.ts";

describe("a cluster whose peer links go through TCP proxies", () => {
  const cluster = new ProcessCluster(3, [], 3, { proxied: true });
  beforeAll(() => cluster.startAll());
  afterAll(() => cluster.stopAll());

  test("elects a leader through the proxies, and every link carried a connection", async () => {
    await cluster.waitForLeader();
    await waitUntil("every link used", () => cluster.ids.every((a) => cluster.ids.every((b) => a === b || cluster.link(a, b).accepted > 0)), 10_000);
  });

  test("a leader cut off on every link is replaced; healed, it follows the new one", async () => {
    const old = await cluster.waitForLeader();
    cluster.isolate(old);
    const others = cluster.ids.filter((i) => i !== old);
    const next = await waitUntil(
      "a new leader among the others",
      async () => {
        const s = await Promise.all(others.map((i) => cluster.status(i)));
        const l = s[0]?.leader ?? 0;
        return l !== 0 && l !== old && s.every((x) => x?.leader === l) ? l : null;
      },
      15_000,
      25,
    );
    cluster.healAll();
    const agreed = await cluster.waitForLeader();
    // Pre-vote kept the cut-off node's term: healing does not disturb the new leader.
    expect(agreed).toBe(next);
    const oldStatus = await cluster.status(old);
    expect(oldStatus?.leader).toBe(agreed);
  });

  test("a deaf link keeps its connection but nothing crosses it", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((i) => i !== leader) as number;
    const before = (await cluster.status(follower))?.term ?? 0;
    cluster.link(leader, follower).setMode("deaf");
    // The follower hears no heartbeat: with pre-vote it cannot win (the others still hear the
    // leader), but it stops learning of commits until the link heals.
    const r = await fetch(cluster.url(leader, "/v1/topics"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "deaf-link" }),
    });
    expect(r.status).toBe(201);
    const offset = (await cluster.status(leader))?.commitOffset ?? 0;
    await Bun.sleep(300);
    expect((await cluster.status(follower))?.appliedOffset ?? 0).toBeLessThan(offset);
    cluster.healAll();
    await waitUntil("the follower catches up after the heal", async () => ((await cluster.status(follower))?.appliedOffset ?? 0) >= offset, 10_000);
    expect((await cluster.status(follower))?.term ?? 0).toBeGreaterThanOrEqual(before);
  });
});
