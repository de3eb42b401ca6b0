// One runtime alone: it elects itself, serves proposals and reads at once, refuses bad input, and
// stops cleanly — or, when its storage refuses a write, stops itself rather than diverge.
import { afterEach, describe, expect, test } from "bun:test";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { ProposalRejectedError } from "../../src/node/errors.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import { MemoryStorage, type PersistBatch } from "../../src/storage/index.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { soloRuntime } from "./support/solo-runtime.ts";
import { waitUntil } from "./support/wait-until.ts";

/** A MemoryStorage whose persist() fails once told to, as a full disk would, or whose flushes wait until released (a slow disk). */
class FailingStorage extends MemoryStorage {
  failing = false;
  failingFlush = false;
  holding = false;
  readonly held: (() => void)[] = [];
  override write(batch: PersistBatch): boolean {
    if (this.failing) throw new Error("disk full (injected)");
    return super.write(batch);
  }
  override flush(done: (error: Error | null) => void): void {
    if (this.failingFlush) setTimeout(() => done(new Error("fsync failed (injected)")), 1);
    else if (this.holding) this.held.push(() => super.flush(done));
    else super.flush(done);
  }
  /** The held flushes complete, and later ones no longer wait. */
  release(): void {
    this.holding = false;
    for (const flush of this.held.splice(0)) flush();
  }
}

let runtime: RaftRuntime | null = null;

afterEach(async () => {
  await runtime?.stop();
  runtime = null;
});

function single(storage: FailingStorage, onFatal?: (e: Error) => void): RaftRuntime {
  return soloRuntime(storage, { onFatal });
}

describe("a single runtime", () => {
  test("elects itself; proposals, reads, forwards and waits work locally", async () => {
    const rt = (runtime = single(new FailingStorage()));
    await expect(rt.snapshotNow()).rejects.toBeInstanceOf(NoLeaderError); // not started yet
    await rt.start();
    await waitUntil("self-election", () => rt.isLeader());
    // The new term's empty entry may still be applying: once a barrier has passed it, nothing else
    // is in flight, so the snapshot is taken at the applied index (without it this raced under load).
    await rt.readBarrier();
    expect((await rt.snapshotNow()).index).toBe(rt.appliedIndex());
    const { index, result } = await rt.propose(kvCommand("a", "1"));
    expect(result).toEqual({ prev: null });
    await rt.readBarrier();
    expect(await rt.waitApplied(index, 1_000)).toBe(true);
    expect(await rt.waitApplied(index + 100, 5)).toBe(false);
    rt.onForward(async (payload) => payload.slice().reverse());
    expect([...(await rt.forwardToLeader(new Uint8Array([1, 2, 3])))]).toEqual([3, 2, 1]);
    await expect(rt.propose(new Uint8Array(0))).rejects.toBeInstanceOf(ProposalRejectedError);
    const seen: number[] = [];
    const off = rt.onApplied((i) => seen.push(i));
    const second = await rt.propose(kvCommand("a", "2"));
    off();
    expect(seen).toContain(second.index);
  });

  /** A running single node that has applied one write, and the errors its onFatal was told. */
  async function writtenOnce(): Promise<{ rt: RaftRuntime; storage: FailingStorage; fatal: Error[] }> {
    const storage = new FailingStorage();
    const fatal: Error[] = [];
    const rt = (runtime = single(storage, (e) => fatal.push(e)));
    await rt.start();
    await waitUntil("self-election", () => rt.isLeader());
    await rt.propose(kvCommand("k", "1"));
    return { rt, storage, fatal };
  }

  test("a read does not wait for the flush of a write in flight: its read index needs no disk", async () => {
    const { rt, storage } = await writtenOnce();
    const applied = rt.appliedIndex();
    storage.holding = true;
    const write = rt.propose(kvCommand("k", "2"));
    await waitUntil("the write's flush is held", () => storage.held.length > 0);
    // Confirmed at the commit index the write does not reach yet, so it is served meanwhile.
    await rt.readBarrier();
    expect(rt.appliedIndex()).toBe(applied);
    storage.release();
    const { index } = await write;
    expect(rt.appliedIndex()).toBeGreaterThanOrEqual(index);
    await rt.readBarrier();
  });

  test("a storage failure stops the node: pending and later calls fail, onFatal is told", async () => {
    const { rt, storage, fatal } = await writtenOnce();
    storage.failing = true;
    await expect(rt.propose(kvCommand("k", "2"))).rejects.toBeInstanceOf(NoLeaderError);
    expect(fatal.map((e) => e.message)).toEqual(["disk full (injected)"]);
    await expect(rt.propose(kvCommand("k", "3"))).rejects.toBeInstanceOf(NoLeaderError);
  });

  test("a failed flush stops the node: the write it covered is never applied nor acknowledged", async () => {
    const { rt, storage, fatal } = await writtenOnce();
    const applied = rt.appliedIndex();
    storage.failingFlush = true;
    await expect(rt.propose(kvCommand("k", "2"))).rejects.toBeInstanceOf(NoLeaderError);
    expect(fatal.map((e) => e.message)).toEqual(["fsync failed (injected)"]);
    expect(rt.appliedIndex()).toBe(applied);
  });
});
