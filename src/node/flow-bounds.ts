// The byte bounds of replication in one place, and how they relate: an App's entries
// (maxMsgBytes), a follower's inflight window (maxInflightBytes), a snapshot chunk, and the
// transport's frame cap and per-peer queue. Checked when this module loads, so a change to one
// default that breaks a relation fails every start and every test at once.
import { ENTRY_OVERHEAD_BYTES } from "../raft/log.ts";
import { DEFAULT_LIMITS } from "../transport/limits.ts";

const MIB = 1024 * 1024;

/** Entry bytes in one App (etcd's MaxSizePerMsg). */
export const DEFAULT_MAX_MSG_BYTES = MIB;
/** Apps in flight to one follower. */
export const DEFAULT_MAX_INFLIGHT = 256;
/**
 * Entry bytes in flight to one follower: eight full Apps. On a LAN (1 Gbit/s, 1 ms round trip) a
 * window of 125 KB already keeps the link busy, across regions (100 ms) 12.5 MB; 8 MiB keeps a
 * catching-up follower fed while a leader never holds more than this (plus one App) for a follower
 * that does not answer.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 8 * MIB;
/** Bytes of one InstallSnapshot chunk (one chunk is in flight at a time). */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = MIB;
/**
 * An App carrying more entry data than this is sent in a turn of the event loop of its own, after
 * the Ready's light messages (send-backlog.ts): a quarter of a full App, so a catching-up
 * follower's window (full Apps) leaves one App per turn, while the Apps of steady replication,
 * a few proposals each, go at once.
 */
export function bulkAppBytes(maxMsgBytes: number): number {
  return Math.max(1, Math.floor(maxMsgBytes / 4));
}
/**
 * Room in a Messages frame besides entry data: the batch and message headers, a snapshot chunk's
 * membership and the per-entry fields beyond ENTRY_OVERHEAD_BYTES. Generous on purpose.
 */
const FRAME_SLACK_BYTES = 64 * 1024;

function relate(holds: boolean, what: string): void {
  if (!holds) throw new Error(`flow bounds are inconsistent: ${what}`);
}

relate(DEFAULT_MAX_MSG_BYTES > ENTRY_OVERHEAD_BYTES, "an App must fit at least one entry's overhead");
relate(DEFAULT_MAX_INFLIGHT_BYTES >= DEFAULT_MAX_MSG_BYTES, "the inflight window must hold one full App");
relate(bulkAppBytes(DEFAULT_MAX_MSG_BYTES) < DEFAULT_MAX_MSG_BYTES, "a full App must count as bulky, so a catch-up window leaves one App per turn");
relate(
  DEFAULT_MAX_MSG_BYTES + FRAME_SLACK_BYTES <= DEFAULT_LIMITS.maxFrameBytes,
  "a full App must fit in one transport frame",
);
relate(
  DEFAULT_SNAPSHOT_CHUNK_BYTES + FRAME_SLACK_BYTES <= DEFAULT_LIMITS.maxFrameBytes,
  "a snapshot chunk must fit in one transport frame",
);
// The window may pass its bound by one App; the transport's queue to the follower must still hold
// it all, or a healthy follower's Apps would be dropped before the window itself pauses sending.
relate(
  DEFAULT_MAX_INFLIGHT_BYTES + DEFAULT_MAX_MSG_BYTES + FRAME_SLACK_BYTES <= DEFAULT_LIMITS.maxQueueBytes,
  "the transport queue must hold a full inflight window",
);
