// Bounds of the HTTP layer. Every one is finite; createApp refuses settings that are not.
import { MAX_LOG_PAGE } from "../metadata/limits.ts";

export interface ApiLimits {
  /** Largest request body accepted, in bytes (API.md: 1 MiB). */
  maxBodyBytes: number;
  /** Records per /v1/log page when the caller gives no `limit`. */
  logDefaultLimit: number;
  /** Most records one /v1/log page may ask for. */
  logMaxLimit: number;
  /** Snapshot answers streamed at once by this node; one more is a 503 `too_many_streams`. */
  maxImageStreams: number;
  /** Longest a streamed snapshot answer may take: a reader that slow is cut, freeing the view it pins. */
  imageStreamMaxMs: number;
  /**
   * Answers of at most this many records are encoded once and their bytes shared by every request
   * that gets the same answer (a fleet of long polls woken by one commit); larger ones are streamed.
   */
  sharedAnswerMaxRecords: number;
  /** Records written per slice of a streamed answer: the work between two looks at the clock. */
  streamSliceRecords: number;
  /** Milliseconds of slices a streamed answer runs before it lets the event loop turn. */
  streamTurnMs: number;
  /** Bytes one turn hands on at most; then the reader's pace decides when the next turn comes. */
  streamChunkBytes: number;
  /** Frozen views kept for the paged form (`?cursor=`); the least recently used goes first. */
  maxPageViews: number;
  /** A paged view unused this long is dropped; its cursors then answer 410 `cursor_expired`. */
  pageViewTtlMs: number;
  /** Records per page when a cursor is given without `limit`. */
  pageDefaultLimit: number;
  /** Most records one page may ask for. */
  pageMaxLimit: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 1024 * 1024,
  logDefaultLimit: 100,
  logMaxLimit: MAX_LOG_PAGE,
  maxImageStreams: 8,
  imageStreamMaxMs: 300_000,
  // ~3 MB of JSON at most, kept while its answer is (src/metadata/shared-answers.ts keeps a few).
  sharedAnswerMaxRecords: 10_000,
  // 250 partition records are ~70 KB of JSON, about a millisecond to write (scripts/bench/image-stream.ts).
  streamSliceRecords: 250,
  streamTurnMs: 8,
  streamChunkBytes: 256 * 1024,
  maxPageViews: 4,
  pageViewTtlMs: 60_000,
  pageDefaultLimit: 1_000,
  pageMaxLimit: 10_000,
};

export function resolveLimits(overrides: Partial<ApiLimits> = {}): ApiLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`API limit ${name} must be a positive integer, got ${value}`);
    }
  }
  if (limits.logMaxLimit > MAX_LOG_PAGE) {
    throw new RangeError(`API limit logMaxLimit (${limits.logMaxLimit}) exceeds the log's page bound ${MAX_LOG_PAGE}`);
  }
  if (limits.logDefaultLimit > limits.logMaxLimit) {
    throw new RangeError(
      `API limit logDefaultLimit (${limits.logDefaultLimit}) exceeds logMaxLimit (${limits.logMaxLimit})`,
    );
  }
  if (limits.pageDefaultLimit > limits.pageMaxLimit) {
    throw new RangeError(`API limit pageDefaultLimit (${limits.pageDefaultLimit}) exceeds pageMaxLimit (${limits.pageMaxLimit})`);
  }
  return limits;
}
