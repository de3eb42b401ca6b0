// One conformance suite for the consensus contract (src/node/contracts.ts), in the manner of
// Hono's router cases: every implementation of ConsensusHandle — the real runtime and the test
// double the upper layers' tests stand on — runs the same cases, and each names the cases it
// cannot pass in a `skip` list with the reason, so the double's differences are written down.
import { describe, expect, test } from "bun:test";
import { type ConsensusHandle, MembershipError } from "../../src/node/contracts.ts";
import { ProposalRejectedError } from "../../src/node/errors.ts";
import { KvStateMachine, kvCommand } from "./support/kv-state-machine.ts";

export interface ConformanceSubject {
  handle: ConsensusHandle;
  machine: KvStateMachine;
  stop(): Promise<void>;
}

export type CaseName = keyof typeof CASES;

/** Each case gets a started one-node cluster (the node leads) with an empty KvStateMachine. */
const CASES = {
  "a lone node leads, and says so everywhere": async ({ handle }: ConformanceSubject) => {
    expect(handle.isLeader()).toBe(true);
    expect(handle.leaderId()).toBe(handle.nodeId);
    const s = handle.status();
    expect([s.role, s.leader, s.nodeId]).toEqual(["leader", handle.nodeId, handle.nodeId]);
    expect(s.membership.voters).toContain(handle.nodeId);
  },

  "propose resolves with the state machine's result and a rising index": async ({ handle }: ConformanceSubject) => {
    const a = await handle.propose(kvCommand("k", "1"));
    const b = await handle.propose(kvCommand("k", "2"));
    expect(a.result).toEqual({ prev: null });
    expect(b.result).toEqual({ prev: "1" });
    expect(b.index).toBeGreaterThan(a.index);
    expect(handle.appliedIndex()).toBeGreaterThanOrEqual(b.index);
  },

  "onApplied reports rising indexes until unsubscribed": async ({ handle }: ConformanceSubject) => {
    const seen: number[] = [];
    const off = handle.onApplied((i) => seen.push(i));
    const { index } = await handle.propose(kvCommand("a", "1"));
    await handle.waitApplied(index, 1_000);
    off();
    await handle.propose(kvCommand("a", "2"));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(index);
  },

  "waitApplied is true for what is applied and false once its bound passes": async ({ handle }: ConformanceSubject) => {
    const { index } = await handle.propose(kvCommand("w", "1"));
    expect(await handle.waitApplied(index, 1_000)).toBe(true);
    expect(await handle.waitApplied(index + 1_000, 5)).toBe(false);
  },

  "a read barrier resolves with everything acknowledged applied": async ({ handle }: ConformanceSubject) => {
    const { index } = await handle.propose(kvCommand("r", "1"));
    await handle.readBarrier();
    expect(handle.appliedIndex()).toBeGreaterThanOrEqual(index);
  },

  "forwardToLeader on the leader runs its own handler": async ({ handle }: ConformanceSubject) => {
    handle.onForward(async (payload, from) => new Uint8Array([...payload.slice().reverse(), from]));
    expect([...(await handle.forwardToLeader(new Uint8Array([1, 2, 3])))]).toEqual([3, 2, 1, handle.nodeId]);
  },

  "status offsets are ordered": async ({ handle }: ConformanceSubject) => {
    await handle.propose(kvCommand("s", "1"));
    const s = handle.status();
    expect(s.commitOffset).toBeGreaterThanOrEqual(s.appliedOffset);
    expect(s.appliedOffset).toBeGreaterThanOrEqual(s.firstOffset - 1);
    expect(s.lastOffset).toBeGreaterThanOrEqual(s.commitOffset);
    expect(s.members.find((m) => m.id === handle.nodeId)?.voter).toBe(true);
  },

  "a snapshot is taken at the applied index and restores the same state": async ({ handle, machine }: ConformanceSubject) => {
    await handle.propose(kvCommand("x", "1"));
    await handle.propose(kvCommand("y", "2"));
    const meta = await handle.snapshotNow();
    expect(meta.index).toBe(handle.appliedIndex());
    expect(handle.listSnapshots().map((m) => m.index)).toContain(meta.index);
    const latest = handle.latestSnapshot();
    expect(latest?.meta.index).toBe(meta.index);
    const copy = new KvStateMachine();
    copy.restore(meta.index, latest!.data);
    expect([...copy.data]).toEqual([...machine.data]);
  },

  "removing the last voter is refused with a MembershipError": async ({ handle }: ConformanceSubject) => {
    await expect(handle.removeMember(handle.nodeId)).rejects.toBeInstanceOf(MembershipError);
    expect(handle.status().membership.voters).toEqual([handle.nodeId]);
  },

  "an empty proposal is refused and nothing is applied": async ({ handle }: ConformanceSubject) => {
    const before = handle.appliedIndex();
    await expect(handle.propose(new Uint8Array(0))).rejects.toBeInstanceOf(ProposalRejectedError);
    expect(handle.appliedIndex()).toBe(before);
  },

  "a membership change naming an invalid node id is refused with a MembershipError": async ({ handle }: ConformanceSubject) => {
    await expect(handle.addLearner(0, "127.0.0.1:1")).rejects.toBeInstanceOf(MembershipError);
    await expect(handle.addVoter(-3, "127.0.0.1:1")).rejects.toBeInstanceOf(MembershipError);
    expect(handle.status().membership.voters).toEqual([handle.nodeId]);
  },

  "role listeners can unsubscribe": async ({ handle }: ConformanceSubject) => {
    const off = handle.onRoleChange(() => {});
    expect(typeof off).toBe("function");
    off();
    expect(handle.isLeader()).toBe(true);
  },

  "metrics are finite numbers": async ({ handle }: ConformanceSubject) => {
    await handle.propose(kvCommand("m", "1"));
    const metrics = Object.entries(handle.metrics());
    expect(metrics.length).toBeGreaterThan(0);
    for (const [name, value] of metrics) expect({ name, finite: Number.isFinite(value) }).toEqual({ name, finite: true });
  },
};

/** Runs every case against fresh subjects from `make`, leaving out the named ones (with reasons). */
export function runConformance(name: string, make: () => Promise<ConformanceSubject>, skip: Partial<Record<CaseName, string>> = {}): void {
  describe(`${name}: consensus contract`, () => {
    for (const [caseName, run] of Object.entries(CASES) as [CaseName, (s: ConformanceSubject) => Promise<void>][]) {
      if (skip[caseName]) continue;
      test(caseName, async () => {
        const subject = await make();
        try {
          await run(subject);
        } finally {
          await subject.stop();
        }
      });
    }
  });
}
