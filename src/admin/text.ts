// Making untrusted values safe and short for a terminal. Broker hosts, topic names and error
// messages come from clients; a raw escape sequence in one must not reach an operator's terminal.

/** Longest cell or value shown; longer ones end in "…". */
export const MAX_CELL_CHARS = 120;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters become "?", so one value is always one line and never steers the terminal. */
export function printable(value: string, maxChars = MAX_CELL_CHARS): string {
  const clean = value.replace(CONTROL, "?");
  return clean.length > maxChars ? `${clean.slice(0, maxChars - 1)}…` : clean;
}

/** "1, 2, 3", or "-" for an empty list. */
export function listOrDash(values: readonly (number | string)[]): string {
  return values.length === 0 ? "-" : values.join(", ");
}

/** A duration in milliseconds for humans: "0 ms", "850 ms", "12.3 s", "4 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
}

/** The one message line of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const suffix = typeof code === "string" ? ` (${code})` : "";
    return `${printable(error.message, 400)}${suffix}`;
  }
  return printable(String(error), 400);
}
