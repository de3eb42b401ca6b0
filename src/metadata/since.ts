// `since` of the metadata fetches: what it names, and whether the caller gets a diff or a snapshot.
// An integer below EPOCH_MS_THRESHOLD is a log offset; at or above it, epoch milliseconds (offsets
// never get that large, and times that small are before 2001). Strings: digits as above, or
// ISO-8601 with a zone.
import type { EventHistory } from "./event-history.ts";
import { badRequest } from "./errors.ts";
import { preview } from "./preview.ts";

export const EPOCH_MS_THRESHOLD = 1_000_000_000_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DIGITS = /^\d{1,16}$/;

export type Since = { kind: "none" } | { kind: "offset"; offset: number } | { kind: "time"; ms: number };

/** Throws bad_request for anything that is not an offset, epoch ms or ISO-8601 time. */
export function parseSince(raw: unknown): Since {
  if (raw === undefined || raw === null || raw === "") return { kind: "none" };
  if (typeof raw === "number") return fromInteger(raw, raw);
  if (typeof raw !== "string") throw badRequest(`since must be an offset, epoch milliseconds or an ISO-8601 time, got ${preview(raw)}`);
  const text = raw.trim();
  if (DIGITS.test(text)) return fromInteger(Number(text), raw);
  if (ISO_8601.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return { kind: "time", ms };
  }
  throw badRequest(`since ${preview(raw)} is neither an offset, epoch milliseconds nor an ISO-8601 time`);
}

function fromInteger(n: number, raw: unknown): Since {
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`since ${preview(raw)} must be a non-negative integer offset or epoch milliseconds`);
  return n >= EPOCH_MS_THRESHOLD ? { kind: "time", ms: n } : { kind: "offset", offset: n };
}

export interface SinceContext {
  now: number;
  diffWindowMs: number;
  /** Offset the answer will be complete up to. */
  appliedOffset: number;
  /** The consensus log's first held index (entries before it are only in a snapshot). */
  firstIndex: number;
  history: EventHistory;
}

export type SincePlan = { mode: "snapshot"; reason: string } | { mode: "diff"; after: number };

/**
 * Diff when the caller's point is recent and everything after it is still held; otherwise snapshot.
 * For an offset, the point's time is when the log reached it (its newest record at or before it);
 * a caller with nothing newer to learn is current however old that is, so it gets an (empty) diff
 * and can long-poll.
 */
export function planSince(since: Since, ctx: SinceContext): SincePlan {
  if (since.kind === "none") return { mode: "snapshot", reason: "no since given" };
  const after = since.kind === "time" ? offsetForTime(since.ms, ctx) : offsetPoint(since.offset, ctx);
  if (typeof after === "string") return { mode: "snapshot", reason: after };
  const oldest = oldestHeld(ctx.firstIndex, ctx.history);
  if (after < oldest) return { mode: "snapshot", reason: `offset ${after} is before the oldest offset still held (${oldest})` };
  return { mode: "diff", after };
}

/** The oldest `since` offset a diff can still answer: everything after it is in the log and the history. */
export function oldestHeld(firstIndex: number, history: EventHistory): number {
  return Math.max(firstIndex - 1, history.floor);
}

function offsetForTime(ms: number, ctx: SinceContext): number | string {
  if (ctx.now - ms > ctx.diffWindowMs) return `since time ${new Date(ms).toISOString()} is older than the diff window of ${ctx.diffWindowMs} ms`;
  const held = ctx.history.offsetAtOrBeforeTime(ms);
  if (held !== undefined) return held;
  // Every held record is newer than the time; without a dropped prefix that means "from the start".
  return ctx.history.floor === 0 ? 0 : `since time ${new Date(ms).toISOString()} is before the oldest record still held`;
}

function offsetPoint(offset: number, ctx: SinceContext): number | string {
  if (offset > ctx.appliedOffset) return `offset ${offset} is past this node's applied offset ${ctx.appliedOffset}`;
  const newer = ctx.history.timeAfter(offset);
  if (newer === undefined) return offset;
  const reached = ctx.history.timeAtOrBefore(offset) ?? newer;
  if (ctx.now - reached > ctx.diffWindowMs) return `offset ${offset} is more than ${ctx.diffWindowMs} ms old`;
  return offset;
}
