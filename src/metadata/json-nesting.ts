// A bound on how deeply a JSON document may nest, checked on its bytes before anything parses,
// validates or renders it. JSON.parse itself copes with any depth, but every recursive consumer
// after it does not: JSON.stringify and structuredClone overflow the stack near 10,000 levels, and
// renderers that indent (Elysia's validation error pretty-prints the whole value) cost O(size ×
// depth), so a 100 KB body 50,000 levels deep froze a node for seconds. The scan is one pass over
// the bytes with a counter: no recursion, no allocation, O(n) whatever the shape.

/**
 * The deepest YAKt document is 5 levels (a forwarded reply: object → records → record → fields →
 * replicas); request bodies are at most 2. 32 leaves room for documents to grow (a remembered
 * write result inside a snapshot) while keeping every recursive consumer far from its stack
 * limit and O(size × depth) renderings within a small constant of O(size).
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Where the bytes first nest deeper than `maxDepth`, or -1 when they never do. Brackets inside
 * strings do not count. UTF-8 continuation bytes are all ≥ 0x80, so a multi-byte character never
 * looks like a bracket or a quote. Syntax is not checked here: JSON.parse does that afterwards.
 */
export function excessNestingAt(bytes: Uint8Array, maxDepth: number = MAX_JSON_DEPTH): number {
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
  if (openingsAtMost(bytes, maxDepth)) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > maxDepth) return i;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return -1;
}

/**
 * Whether the bytes hold at most `limit` opening brackets in all, strings included: then no level
 * can pass `limit` and the byte-by-byte scan is not needed. Counted with the native indexOf
 * (memchr), which is about ten times cheaper than the scan on a typical command of a few hundred
 * bytes with one or two containers: every replica checks every entry it applies. Brackets inside
 * strings only make the count larger, so a document it lets through cannot nest too deeply.
 */
function openingsAtMost(bytes: Uint8Array, limit: number): boolean {
  let seen = 0;
  for (let i = bytes.indexOf(OPEN_OBJECT); i >= 0; i = bytes.indexOf(OPEN_OBJECT, i + 1)) if (++seen > limit) return false;
  for (let i = bytes.indexOf(OPEN_ARRAY); i >= 0; i = bytes.indexOf(OPEN_ARRAY, i + 1)) if (++seen > limit) return false;
  return true;
}

/** One line saying the document nests too deeply, or null when it does not. */
export function nestingProblem(bytes: Uint8Array, maxDepth: number = MAX_JSON_DEPTH): string | null {
  const at = excessNestingAt(bytes, maxDepth);
  if (at < 0) return null;
  return `it nests deeper than ${maxDepth} levels (at byte ${at}); at most ${maxDepth} levels of arrays and objects are accepted`;
}
