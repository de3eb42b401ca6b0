// The checkpoint worker inside the compiled binary (dist/yakt; `make build`): a worker entrypoint
// the build does not embed, or a URL it cannot resolve, only fails at run time, and the store then
// falls back to checkpointing on the writer without a test noticing. Only the worker folds a
// small WAL into the database file (the writer's fallback waits for 1,000 pages), so the file
// growing while the node runs shows the worker at work.
import { afterAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "../node/support/wait-until.ts";
import { ProcessCluster } from "../cluster/support/process-cluster.ts";

let cluster: ProcessCluster | null = null;
afterAll(async () => {
  await cluster?.stopAll();
});

test("dist/yakt runs its checkpoint worker: the database file takes in the WAL while the node runs", async () => {
  cluster = new ProcessCluster(1);
  cluster.startAll();
  await cluster.waitForLeader();
  const db = join(cluster.dataDir(1), "yakt.db");
  const before = statSync(db).size;
  for (let i = 0; i < 40; i++) {
    const res = await fetch(cluster.url(1, "/v1/topics"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `checkpointed-${i}` }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(201);
  }
  // The worker's rounds are 500 ms apart; a loaded machine may delay them, never by this much.
  await waitUntil("the database file to grow by the worker's checkpoints", () => statSync(db).size > before, 20_000, 50);
  // The node's /metrics says where its checkpoints run and counts the worker's rounds. A round is
  // counted when it ends, after SQLite has written its pages: the file can grow while the round
  // that grows it is still uncounted (a CI run caught that), so the count is waited for too.
  const c = cluster;
  const metrics = await waitUntil(
    "the worker's round counted",
    async () => {
      const text = await (await fetch(c.url(1, "/metrics"), { signal: AbortSignal.timeout(10_000) })).text();
      return Number(/^yakt_storage_checkpoint_rounds_total (\d+)$/m.exec(text)?.[1] ?? 0) > 0 ? text : null;
    },
    10_000,
    50,
  );
  expect(metrics).toContain("\nyakt_storage_checkpoint_worker 1\n");
  expect(metrics).toContain("\nyakt_storage_checkpoints_forced_total 0\n");
}, 60_000);
