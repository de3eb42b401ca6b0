// A short rendering of any value for an error message, built within a character budget. It walks
// only the elements it shows, without recursion, so a long array, a long string or a deeply
// nested value costs no more than a small one and can never overflow the stack (JSON.stringify
// of the whole value would cost its whole size and overflows near 10,000 levels).

export const PREVIEW_CHARS = 80;
const ELLIPSIS = "…";

type Frame = { kind: "array"; items: readonly unknown[]; next: number } | { kind: "object"; keys: Iterator<string>; obj: Record<string, unknown>; first: boolean };

class Budget {
  text = "";
  constructor(readonly max: number) {}
  get full(): boolean {
    return this.text.length >= this.max;
  }
  add(piece: string): void {
    // One character past the budget is kept, so the caller can tell the value was cut.
    if (!this.full) this.text += piece.length > this.max ? piece.slice(0, this.max + 1) : piece;
  }
}

function scalar(value: unknown, room: number): string | null {
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value) ?? String(value);
  if (typeof value === "bigint") return `${value}`;
  // Slice before quoting: a megabyte string is cut, not escaped whole.
  if (typeof value === "string") return JSON.stringify(value.length > room ? value.slice(0, room) : value);
  if (typeof value === "object") return null;
  return `<${typeof value}>`;
}

/** Own keys in order; the engine lists an object's keys once when the walk opens it. */
function* keysOf(obj: Record<string, unknown>): Generator<string> {
  for (const key in obj) if (Object.hasOwn(obj, key)) yield key;
}

/** JSON-like text of `value`, at most about `maxChars` characters, ending in "…" when cut. */
export function preview(value: unknown, maxChars: number = PREVIEW_CHARS): string {
  const out = new Budget(maxChars);
  const stack: Frame[] = [];
  let pending: unknown = value;
  let hasPending = true;
  while (!out.full && (hasPending || stack.length > 0)) {
    if (hasPending) {
      hasPending = false;
      const text = scalar(pending, maxChars);
      if (text !== null) out.add(text);
      else if (Array.isArray(pending)) {
        out.add("[");
        stack.push({ kind: "array", items: pending, next: 0 });
      } else {
        out.add("{");
        const obj = pending as Record<string, unknown>;
        stack.push({ kind: "object", keys: keysOf(obj), obj, first: true });
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (top.kind === "array") {
      if (top.next >= top.items.length) {
        out.add("]");
        stack.pop();
        continue;
      }
      if (top.next > 0) out.add(",");
      pending = top.items[top.next++];
      hasPending = true;
    } else {
      const step = top.keys.next();
      if (step.done) {
        out.add("}");
        stack.pop();
        continue;
      }
      out.add(`${top.first ? "" : ","}${JSON.stringify(step.value.slice(0, maxChars))}:`);
      top.first = false;
      pending = top.obj[step.value];
      hasPending = true;
    }
  }
  const cut = out.text.length > maxChars || (out.full && (hasPending || stack.length > 0));
  return cut ? `${out.text.slice(0, maxChars)}${ELLIPSIS}` : out.text;
}
