// Unit tests of the runtime's small pure parts: forward wire codec, snapshot policy, logger, ticker.
import { describe, expect, test } from "bun:test";
import { ForwardError } from "../../src/node/errors.ts";
import {
  decodeForwardReply,
  decodeForwardRequest,
  encodeForwardReply,
  encodeForwardRequest,
} from "../../src/node/forward-codec.ts";
import { Logger } from "../../src/node/logger.ts";
import { SnapshotPolicy } from "../../src/node/snapshot-policy.ts";
import { IntervalTicker, ManualTicker } from "../../src/node/ticker.ts";

describe("forward codec", () => {
  test("requests and every reply kind round-trip", () => {
    const payload = new Uint8Array([1, 2, 3]);
    expect(decodeForwardRequest(encodeForwardRequest(payload))).toEqual(payload);
    for (const reply of [
      { status: "ok", body: new Uint8Array([9, 8]) },
      { status: "not_leader", leader: 3 },
      { status: "not_leader", leader: 0 },
      { status: "no_handler" },
      { status: "handler_failed", message: "boom" },
    ] as const) {
      expect(decodeForwardReply(encodeForwardReply(reply))).toEqual(reply);
    }
  });

  test("garbage is a ForwardError, not a crash", () => {
    expect(() => decodeForwardRequest(new Uint8Array([]))).toThrow(ForwardError);
    expect(() => decodeForwardRequest(new Uint8Array([7, 1]))).toThrow(ForwardError);
    expect(() => decodeForwardReply(new Uint8Array([]))).toThrow(ForwardError);
    expect(() => decodeForwardReply(new Uint8Array([1, 0]))).toThrow("expected 4");
    expect(() => decodeForwardReply(new Uint8Array([200]))).toThrow("unknown forward reply status 200");
  });
});

describe("SnapshotPolicy", () => {
  test("due after N entries or T ms with something new, never with nothing new", () => {
    const p = new SnapshotPolicy({ everyEntries: 10, everyMs: 1_000 }, 5, 0);
    expect(p.due(14, 10)).toBe(false);
    expect(p.due(15, 10)).toBe(true);
    p.taken(15, 10);
    expect(p.due(15, 5_000)).toBe(false);
    expect(p.due(16, 1_009)).toBe(false);
    expect(p.due(16, 1_010)).toBe(true);
  });

  test("staggers the threshold by node id", () => {
    const p1 = new SnapshotPolicy({ everyEntries: 100, everyMs: 1_000_000, nodeId: 1 }, 0, 0);
    const p2 = new SnapshotPolicy({ everyEntries: 100, everyMs: 1_000_000, nodeId: 2 }, 0, 0);
    expect(p1.due(136, 0)).toBe(false);
    expect(p1.due(137, 0)).toBe(true);
    expect(p2.due(124, 0)).toBe(true);
  });

  test("due after N records produced since the last snapshot, staggered like the rest", () => {
    const p = new SnapshotPolicy({ everyEntries: 1_000, everyMs: 1_000_000, everyRecords: 100, nodeId: 1 }, 0, 0);
    expect(p.due(1, 0, 136)).toBe(false); // node 1: +37 %
    expect(p.due(1, 0, 137)).toBe(true);
    p.taken(1, 0, 137);
    expect(p.due(2, 0, 273)).toBe(false);
    expect(p.due(2, 0, 274)).toBe(true);
    expect(p.due(1, 0, 10_000)).toBe(false); // nothing applied since: never
  });

  test("rejects nonsense bounds", () => {
    expect(() => new SnapshotPolicy({ everyEntries: 0, everyMs: 1 }, 0, 0)).toThrow("snapshot entries");
    expect(() => new SnapshotPolicy({ everyEntries: 1, everyMs: 1, everyRecords: 0 }, 0, 0)).toThrow("snapshot records");
  });
});

describe("Logger", () => {
  test("one JSON line per event with node, term and role; errors keep code and message", () => {
    const lines: string[] = [];
    const log = new Logger(3, (l) => lines.push(l), () => ({ term: 7, role: "leader" }), () => 0);
    const err = Object.assign(new Error("disk full"), { code: "io" });
    log.error("persist_failed", { error: err });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]);
    expect(rec).toMatchObject({ level: "error", event: "persist_failed", node: 3, term: 7, role: "leader" });
    expect(rec.error).toEqual({ name: "Error", message: "disk full", code: "io" });
    expect(rec.ts).toBe("1970-01-01T00:00:00.000Z");
  });
});

describe("tickers", () => {
  test("manual ticker ticks only when told; interval ticker checks its interval", () => {
    const t = new ManualTicker();
    let n = 0;
    t.start(() => n++);
    t.tick(3);
    t.stop();
    t.tick();
    expect(n).toBe(3);
    expect(() => new IntervalTicker(0)).toThrow("tick interval");
  });
});
