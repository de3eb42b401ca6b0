// Bounds of the HTTP layer. Every one is finite; createApp refuses settings that are not.
import { MAX_LOG_PAGE } from "../metadata/limits.ts";

export interface ApiLimits {
  /** Largest request body accepted, in bytes (API.md: 1 MiB). */
  maxBodyBytes: number;
  /** Records per /v1/log page when the caller gives no `limit`. */
  logDefaultLimit: number;
  /** Most records one /v1/log page may ask for. */
  logMaxLimit: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 1024 * 1024,
  logDefaultLimit: 100,
  logMaxLimit: MAX_LOG_PAGE,
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
  return limits;
}
