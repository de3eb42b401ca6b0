// Integers in paths and query strings arrive as text. They are matched as plain digit strings by
// the schema (no "1e3", no "+1", no whitespace) and converted here with a range check that names
// the parameter, so the caller learns which value was wrong.
import { InvalidInputError } from "./api-error.ts";

/** Up to 16 digits: enough for any safe integer, short enough to refuse absurd input early. */
export const DIGITS_PATTERN = "^[0-9]{1,16}$";

export function toInt(name: string, raw: string, min: number, max: number): number {
  return inRange(name, raw, /^[0-9]{1,16}$/.test(raw) ? Number(raw) : Number.NaN, min, max);
}

/**
 * toInt for text its route's schema already matched as DIGITS_PATTERN (a fast route's checked
 * parameter): the range check alone, with toInt's message, and no second test of the pattern.
 */
export function digitsToInt(name: string, digits: string, min: number, max: number): number {
  return inRange(name, digits, Number(digits), min, max);
}

function inRange(name: string, raw: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function toOptionalInt(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  return raw === undefined ? undefined : toInt(name, raw, min, max);
}
