// Default transport limits and their validation: every queue, wait and size the transport has is
// bounded by one of these.
import { TransportError } from "./errors.ts";
import { MAX_HANDSHAKE_FRAME_BYTES } from "./handshake-codec.ts";
import type { TransportLimits } from "./transport-types.ts";

export const DEFAULT_LIMITS: Readonly<TransportLimits> = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxQueueBytes: 16 * 1024 * 1024,
  backoffMinMs: 50,
  backoffMaxMs: 2_000,
  connectTimeoutMs: 3_000,
  // A peer's handshake takes one or two round trips; this only bounds how long a connection that
  // does not finish one holds a slot. 2 s is ten of the longest election timeouts at the default
  // ticks (200 ms): a peer that slow could not take part in elections anyway. The node passes a
  // value scaled to its own ticks (see the CLI's peerHandshakeTimeoutMs).
  handshakeTimeoutMs: 2_000,
  maxRequestTimeoutMs: 60_000,
  maxPendingRequests: 1_024,
  maxServingRequests: 256,
  maxInboundConnections: 256,
  // Connections that have not finished their handshake: in all, and from one remote address. A
  // new connection evicts the oldest waiting one (idle first), or is turned away while the idle
  // ones that could make room are in their first two loop turns (see inbound-slots.ts).
  maxPendingHandshakes: 64,
  maxPendingPerAddress: 8,
  stallTimeoutMs: 10_000,
  // Learned peers are leaders (or their successors) a lagging member has not read about yet: one or
  // two at a time in practice; 8 leaves room for a few leadership changes while it catches up.
  maxLearnedPeers: 8,
  // A live dialer redials within backoffMaxMs + connectTimeoutMs (5 s at the defaults) of losing its
  // connection; 30 s is six of those, and 150 election timeouts at the default ticks, so only a peer
  // that stopped dialing us (it no longer counts us as a member) is forgotten.
  learnedPeerIdleMs: 30_000,
};

/** The frame cap must fit every handshake frame (and stays at least 1 KiB). */
const MIN_FRAME_BYTES = Math.max(1024, MAX_HANDSHAKE_FRAME_BYTES);
/** The u32 length prefix must be able to express the cap. */
const MAX_FRAME_BYTES = 0xffff_ffff;

export function resolveLimits(partial: Partial<TransportLimits> | undefined): TransportLimits {
  const limits: TransportLimits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TransportError("invalid", `transport limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.maxFrameBytes < MIN_FRAME_BYTES || limits.maxFrameBytes > MAX_FRAME_BYTES) {
    throw new TransportError(
      "invalid",
      `maxFrameBytes must be in [${MIN_FRAME_BYTES}, ${MAX_FRAME_BYTES}], got ${limits.maxFrameBytes}`,
    );
  }
  if (limits.maxQueueBytes < limits.maxFrameBytes) {
    throw new TransportError(
      "invalid",
      `maxQueueBytes (${limits.maxQueueBytes}) must hold at least one frame of maxFrameBytes (${limits.maxFrameBytes})`,
    );
  }
  if (limits.maxPendingPerAddress > limits.maxPendingHandshakes || limits.maxPendingHandshakes >= limits.maxInboundConnections) {
    throw new TransportError(
      "invalid",
      `need maxPendingPerAddress (${limits.maxPendingPerAddress}) ≤ maxPendingHandshakes (${limits.maxPendingHandshakes}) < maxInboundConnections (${limits.maxInboundConnections}), so handshaken peers keep their slots`,
    );
  }
  if (limits.backoffMaxMs < limits.backoffMinMs) {
    throw new TransportError(
      "invalid",
      `backoffMaxMs (${limits.backoffMaxMs}) must not be below backoffMinMs (${limits.backoffMinMs})`,
    );
  }
  return limits;
}
