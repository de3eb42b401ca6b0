// Integer flag values with their allowed range, so a typo fails with the flag, value and range.
import { UsageError } from "./cli-errors.ts";

export function parseIntFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--${flag}: expected an integer ${min}..${max}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${flag}: must be ${min}..${max}, got ${n}`);
  return n;
}
