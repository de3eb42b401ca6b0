import { describe, expect, test } from "bun:test";
import { MetadataError } from "../../src/metadata/errors.ts";
import { EventHistory } from "../../src/metadata/event-history.ts";
import type { MetadataRecord } from "../../src/metadata/records.ts";
import { EPOCH_MS_THRESHOLD, type SinceContext, parseSince, planSince } from "../../src/metadata/since.ts";

const T0 = Date.UTC(2026, 10, 24);
const topic = (offset: number, ms: number): MetadataRecord => ({
  type: "metadata",
  name: "TopicRecord",
  offset,
  timestamp: new Date(ms).toISOString(),
  fields: { topicUUID: `u${offset}`, name: `t${offset}` },
});

function ctx(records: MetadataRecord[], over: Partial<SinceContext> = {}, historySize = 100): SinceContext {
  const history = new EventHistory(historySize);
  for (const r of records) history.append([r]);
  return { now: T0 + 60_000, diffWindowMs: 600_000, appliedOffset: records.at(-1)?.offset ?? 0, firstIndex: 1, history, ...over };
}

describe("parseSince", () => {
  test("offsets, epoch milliseconds and ISO-8601 times", () => {
    expect(parseSince(undefined)).toEqual({ kind: "none" });
    expect(parseSince("")).toEqual({ kind: "none" });
    expect(parseSince(0)).toEqual({ kind: "offset", offset: 0 });
    expect(parseSince("42")).toEqual({ kind: "offset", offset: 42 });
    expect(parseSince(EPOCH_MS_THRESHOLD - 1)).toEqual({ kind: "offset", offset: EPOCH_MS_THRESHOLD - 1 });
    expect(parseSince(T0)).toEqual({ kind: "time", ms: T0 });
    expect(parseSince(String(T0))).toEqual({ kind: "time", ms: T0 });
    expect(parseSince("2026-11-24T00:00:00Z")).toEqual({ kind: "time", ms: T0 });
    expect(parseSince("2026-11-24T01:00:00.5+01:00")).toEqual({ kind: "time", ms: T0 + 500 });
  });

  test("anything else is bad_request naming the value", () => {
    for (const raw of ["abc", "1e5", "-4", "2026-11-24", "2026-11-24T00:00:00", "2026-02-31T00:00:00Z x", 2.5, -1, Number.NaN, {}, true]) {
      expect(() => parseSince(raw)).toThrow(MetadataError);
    }
    expect(() => parseSince("abc")).toThrow('since "abc" is neither an offset, epoch milliseconds nor an ISO-8601 time');
  });
});

describe("planSince", () => {
  const records = [topic(1, T0), topic(3, T0 + 10_000), topic(4, T0 + 20_000)];

  test("missing since: snapshot", () => {
    expect(planSince({ kind: "none" }, ctx(records)).mode).toBe("snapshot");
  });

  test("a recent offset: diff after it, gaps included", () => {
    expect(planSince({ kind: "offset", offset: 2 }, ctx(records))).toEqual({ mode: "diff", after: 2 });
    expect(planSince({ kind: "offset", offset: 4 }, ctx(records))).toEqual({ mode: "diff", after: 4 });
  });

  test("an offset whose point is older than the window, with news after it: snapshot", () => {
    const late = ctx(records, { now: T0 + 600_001 });
    expect(planSince({ kind: "offset", offset: 1 }, late).mode).toBe("snapshot");
    expect(planSince({ kind: "offset", offset: 3 }, late)).toEqual({ mode: "diff", after: 3 });
    expect(planSince({ kind: "offset", offset: 3 }, ctx(records, { now: T0 + 610_001 })).mode).toBe("snapshot");
    expect(planSince({ kind: "offset", offset: 4 }, ctx(records, { now: T0 + 10_000_000 }))).toEqual({ mode: "diff", after: 4 });
  });

  test("an offset before what the log or the history still holds: snapshot", () => {
    expect(planSince({ kind: "offset", offset: 2 }, ctx(records, { firstIndex: 4 })).mode).toBe("snapshot");
    expect(planSince({ kind: "offset", offset: 3 }, ctx(records, { firstIndex: 4 }))).toEqual({ mode: "diff", after: 3 });
    const trimmed = ctx(records, {}, 1); // only offset 4 held, floor 3
    expect(planSince({ kind: "offset", offset: 2 }, trimmed).mode).toBe("snapshot");
    expect(planSince({ kind: "offset", offset: 3 }, trimmed)).toEqual({ mode: "diff", after: 3 });
  });

  test("an offset past the applied one: snapshot", () => {
    expect(planSince({ kind: "offset", offset: 5 }, ctx(records)).mode).toBe("snapshot");
  });

  test("a time maps to the newest offset stamped at or before it", () => {
    expect(planSince({ kind: "time", ms: T0 + 15_000 }, ctx(records))).toEqual({ mode: "diff", after: 3 });
    expect(planSince({ kind: "time", ms: T0 - 1 }, ctx(records))).toEqual({ mode: "diff", after: 0 });
    expect(planSince({ kind: "time", ms: T0 + 30_000 }, ctx(records))).toEqual({ mode: "diff", after: 4 });
  });

  test("a time older than the window, or before a trimmed history: snapshot", () => {
    expect(planSince({ kind: "time", ms: T0 - 600_000 }, ctx(records)).mode).toBe("snapshot");
    expect(planSince({ kind: "time", ms: T0 + 1 }, ctx(records, {}, 1)).mode).toBe("snapshot");
  });
});
