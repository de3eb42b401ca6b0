// The promotion decision and the reachable-quorum check, alone.
import { describe, expect, test } from "bun:test";
import { isReachable, MAX_PROMOTION_LAG_ENTRIES, promotionCheck, quorumOf, quorumShortfall } from "../../src/node/promotion.ts";
import type { PeerStatus } from "../../src/raft/types.ts";

const limits = { maxLag: MAX_PROMOTION_LAG_ENTRIES, recentTicks: 10, tickMs: 10 };
const peer = (p: Partial<PeerStatus>): PeerStatus => ({
  id: 4, voter: false, match: 0, next: 1, state: "probe", ticksSinceContact: 0, contacted: true, ...p,
});

describe("promotionCheck", () => {
  test("a learner never heard from is not ready, whatever its numbers", () => {
    expect(promotionCheck(undefined, 10, limits)).toEqual({ ready: false, reason: "never contacted" });
    expect(promotionCheck(peer({ contacted: false, match: 10 }), 10, limits)).toEqual({ ready: false, reason: "never contacted" });
  });

  test("one heard from longer ago than the election window is not ready", () => {
    expect(promotionCheck(peer({ match: 10, ticksSinceContact: 11 }), 10, limits)).toEqual({ ready: false, reason: "not heard from for 110 ms" });
    expect(promotionCheck(peer({ match: 10, ticksSinceContact: 10 }), 10, limits).ready).toBe(true);
  });

  test("the lag bound is inclusive", () => {
    const last = 5_000;
    expect(promotionCheck(peer({ match: last - MAX_PROMOTION_LAG_ENTRIES }), last, limits)).toEqual({ ready: true, note: `caught up (${MAX_PROMOTION_LAG_ENTRIES} entries behind)` });
    expect(promotionCheck(peer({ match: last - MAX_PROMOTION_LAG_ENTRIES - 1 }), last, limits)).toEqual({ ready: false, reason: `catching up: ${MAX_PROMOTION_LAG_ENTRIES + 1} entries behind` });
    expect(promotionCheck(peer({ match: last }), last, limits)).toEqual({ ready: true, note: "caught up" });
  });

  test("isReachable needs contact within the window", () => {
    expect(isReachable(peer({}), 10)).toBe(true);
    expect(isReachable(peer({ ticksSinceContact: 11 }), 10)).toBe(false);
    expect(isReachable(peer({ contacted: false }), 10)).toBe(false);
    expect(isReachable(undefined, 10)).toBe(false);
  });
});

describe("quorumShortfall", () => {
  test("quorum sizes", () => {
    expect([1, 2, 3, 4, 5, 6].map(quorumOf)).toEqual([1, 2, 2, 3, 3, 4]);
  });

  test("the issue's wedge: six voters with three reachable is refused", () => {
    const up = new Set([1, 2, 3]);
    expect(quorumShortfall([1, 2, 3, 4, 5, 6], (id) => up.has(id))).toBe(
      "the new configuration of 6 voters [1, 2, 3, 4, 5, 6] needs 4 for a quorum, but only 3 [1, 2, 3] were heard from recently (not: 4, 5, 6)",
    );
    expect(quorumShortfall([1, 2, 3, 4], (id) => up.has(id))).toBeNull();
  });

  test("removing a live voter while another is down", () => {
    expect(quorumShortfall([1, 3], (id) => id === 1)).toContain("needs 2 for a quorum, but only 1 [1]");
    expect(quorumShortfall([1, 2], () => true)).toBeNull();
  });
});
