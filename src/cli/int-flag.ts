// Integer flag values with their allowed range, so a typo fails with the flag, value and range.
import { UsageError } from "./cli-errors.ts";

export function parseIntFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--${flag}: expected ${integerRange(min, max)}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${flag}: must be ${min}..${max}, got ${n}`);
  return n;
}

/** "an integer 1..1000", or "a non-negative integer" when only the bottom is bounded. */
export function integerRange(min: number, max: number): string {
  if (max < Number.MAX_SAFE_INTEGER) return `an integer ${min}..${max}`;
  return min === 0 ? "a non-negative integer" : `an integer ${min} or more`;
}

/**
 * node:util parseArgs takes the word after a string flag as its value only when it does not start
 * with "-", and otherwise fails with "Option '--from' argument is ambiguous" before the flag's own
 * check could say what the flag needs. A word of "-" and a digit is never a flag here (every flag
 * is long), so `--from -5` is handed over as `--from=-5` and the flag's range check names the
 * problem; any other dash word after a string flag means its value is missing, said as such.
 */
export function negativeValuesJoined(args: readonly string[], options: Record<string, { type: "string" | "boolean" }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = word.startsWith("--") && !word.includes("=") ? word.slice(2) : null;
    const next = args[i + 1];
    if (name === null || !Object.hasOwn(options, name) || options[name].type !== "string" || next === undefined) {
      out.push(word); // a flag without a value at the very end: parseArgs says "argument missing"
      continue;
    }
    const dashed = next.length > 1 && next.startsWith("-"); // parseArgs takes a lone "-" as a value
    if (dashed && !/^-\d/.test(next)) {
      const flag = next.startsWith("--") && Object.hasOwn(options, next.slice(2).split("=")[0]);
      throw new UsageError(
        flag
          ? `--${name}: its value is missing (the next word is the flag ${next})`
          : `--${name}: its value is missing ("${next}" looks like a flag; a value starting with "-" is written --${name}=${next})`,
      );
    }
    if (dashed) out.push(`${word}=${next}`);
    else out.push(word, next);
    i++;
  }
  return out;
}
