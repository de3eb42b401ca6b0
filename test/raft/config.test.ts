import { describe, expect, test } from "bun:test";
import { encodeMembership, Raft, RaftConfigError, type RaftConfig, type RestoreState } from "../../src/raft/index.ts";
import { membership } from "./harness.ts";

const good: RaftConfig = {
  id: 1,
  electionTick: 10,
  heartbeatTick: 1,
  random: () => 0.5,
  maxMsgBytes: 1024,
  maxInflight: 4,
  maxInflightBytes: 4096,
  snapshotChunkBytes: 512,
  preVote: true,
  checkQuorum: true,
  initialMembership: membership([1, 2, 3]),
};
const empty: RestoreState = { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [], applied: 0 };

function configError(f: () => unknown): RaftConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof RaftConfigError) return e;
    throw e;
  }
  throw new Error("expected a RaftConfigError");
}

describe("constructor checks", () => {
  test("a bad config is refused with the offending value", () => {
    expect(configError(() => new Raft({ ...good, id: 0 }, empty)).message).toContain("id must be a positive integer, got 0");
    expect(configError(() => new Raft({ ...good, heartbeatTick: 10 }, empty)).message).toContain("heartbeatTick 10");
    expect(configError(() => new Raft({ ...good, maxMsgBytes: 8 }, empty)).message).toContain("maxMsgBytes 8");
    expect(configError(() => new Raft({ ...good, initialMembership: { voters: [1, 1], learners: [], addresses: {} } }, empty)).code).toBe("raft_config");
  });

  test("a corrupt restore is refused", () => {
    const e1 = { index: 1, term: 1, type: "normal" as const, data: new Uint8Array() };
    const gap = { ...e1, index: 3 };
    expect(configError(() => new Raft(good, { ...empty, hardState: { term: 1, vote: 0, commit: 0 }, entries: [e1, gap] })).message).toContain("index 3");
    expect(configError(() => new Raft(good, { ...empty, hardState: { term: 1, vote: 0, commit: 5 }, entries: [e1] })).message).toContain("commit 5");
    expect(configError(() => new Raft(good, { ...empty, entries: [e1] })).message).toContain("above the hard state term");
    const badConfig = { index: 1, term: 1, type: "config" as const, data: new TextEncoder().encode("nope") };
    expect(configError(() => new Raft(good, { ...empty, hardState: { term: 1, vote: 0, commit: 0 }, entries: [badConfig] })).message).toContain("config entry");
  });

  test("a restored config entry is the membership in force, even uncommitted", () => {
    const cfg = { index: 1, term: 1, type: "config" as const, data: encodeMembership(membership([1, 2, 3, 4])) };
    const r = new Raft(good, { ...empty, hardState: { term: 1, vote: 0, commit: 0 }, entries: [cfg] });
    expect(r.status().membership.voters).toEqual([1, 2, 3, 4]);
    expect(r.hasReady()).toBe(false);
  });
});
