// Default transport limits and their validation: every queue, wait and size the transport has is
// bounded by one of these.
import { TransportError } from "./errors.ts";
import type { TransportLimits } from "./transport-types.ts";

export const DEFAULT_LIMITS: Readonly<TransportLimits> = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxQueueBytes: 16 * 1024 * 1024,
  backoffMinMs: 50,
  backoffMaxMs: 2_000,
  connectTimeoutMs: 3_000,
  handshakeTimeoutMs: 3_000,
  maxRequestTimeoutMs: 60_000,
  maxPendingRequests: 1_024,
  maxServingRequests: 256,
  maxInboundConnections: 256,
  stallTimeoutMs: 10_000,
};

/** Smallest frame cap that still fits a handshake with a long cluster id. */
const MIN_FRAME_BYTES = 1024;
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
  if (limits.backoffMaxMs < limits.backoffMinMs) {
    throw new TransportError(
      "invalid",
      `backoffMaxMs (${limits.backoffMaxMs}) must not be below backoffMinMs (${limits.backoffMinMs})`,
    );
  }
  return limits;
}
