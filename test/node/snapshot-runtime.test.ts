// A real single-node runtime on SQLite while its snapshot is being encoded: the leader keeps
// committing (no hand-off, no stall) and the snapshot is of the state when it began; a stop in
// the middle leaves nothing half-written and does not wait for the encoding.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { SnapshotEncoding } from "../../src/node/contracts.ts";
import { NodeStoppedError } from "../../src/node/errors.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { IntervalTicker } from "../../src/node/ticker.ts";
import { SqliteStorage } from "../../src/storage/index.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import { tempDir } from "../storage/helpers.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { KvStateMachine, kvCommand } from "./support/kv-state-machine.ts";
import { waitUntil } from "./support/wait-until.ts";

/** A KV machine whose snapshot encoding stays unfinished (one slice per macrotask) until released. */
class GatedKv extends KvStateMachine {
  open = false;
  slices = 0;
  beginSnapshot(): SnapshotEncoding {
    const data = this.snapshot();
    return {
      step: () => {
        this.slices++;
        return this.open ? data : null;
      },
    };
  }
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function started(): Promise<{ rt: RaftRuntime; sm: GatedKv; path: string }> {
  const dir = tempDir();
  const path = join(dir.dir, "yakt.db");
  const sm = new GatedKv();
  const rt = new RaftRuntime({
    clusterId: "solo",
    nodeId: 1,
    storage: SqliteStorage.open(path),
    stateMachine: sm,
    initialMembership: { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } },
    ticker: new IntervalTicker(10),
    random: seededRandom(11),
    transport: (handlers) =>
      new PeerTransport({ clusterId: "solo", nodeId: 1, listenHost: "127.0.0.1", listenPort: 0, peers: new Map(), ...handlers }),
  });
  cleanup = async () => {
    await rt.stop();
    dir.cleanup();
  };
  await rt.start();
  await waitUntil("self-election", () => rt.isLeader());
  return { rt, sm, path };
}

describe("a runtime snapshotting in slices", () => {
  test("the leader keeps committing while its snapshot is encoded; the snapshot is of the state at its start", async () => {
    const { rt, sm } = await started();
    for (const v of ["1", "2", "3"]) await rt.propose(kvCommand("k", v));
    const at = rt.appliedIndex();
    const snapshot = rt.snapshotNow();
    const joined = rt.snapshotNow();
    for (const v of ["4", "5", "6", "7"]) await rt.propose(kvCommand("k", v));
    expect(sm.slices).toBeGreaterThan(0);
    expect(rt.listSnapshots()).toEqual([]);
    sm.open = true;
    const meta = await snapshot;
    expect(meta.index).toBe(at);
    expect(await joined).toEqual(meta);
    expect(JSON.parse(new TextDecoder().decode(rt.latestSnapshot()?.data))).toEqual({ applied: at, entries: [["k", "3"]] });
    expect(rt.isLeader()).toBe(true);
    expect(rt.metrics().yakt_raft_leader_changes_total).toBe(1);
    expect(rt.firstIndex()).toBe(at + 1);
  });

  test("stop during encoding rejects the caller at once and leaves no snapshot behind", async () => {
    const { rt, path } = await started();
    await rt.propose(kvCommand("k", "1"));
    const outcome = rt.snapshotNow().catch((e: unknown) => e);
    await rt.stop();
    expect(await outcome).toBeInstanceOf(NodeStoppedError);
    const reopened = SqliteStorage.open(path);
    try {
      expect(reopened.listSnapshots()).toEqual([]);
      expect(reopened.load().entries.length).toBeGreaterThan(0);
    } finally {
      reopened.close();
    }
  });
});
