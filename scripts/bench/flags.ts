// Command-line flags of the benchmark scripts.

/** `--name N`: a positive integer, `fallback` when the flag is absent; anything else throws. */
export function positiveIntFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return value;
}
