// The nesting scan and the bounded preview, and the metadata decoders that use them: a deeply
// nested or huge value is refused or shown in a few characters, never parsed into recursion.
import { expect, test } from "bun:test";
import { decodeCommand, parseJson } from "../../src/metadata/commands.ts";
import { MetadataError } from "../../src/metadata/errors.ts";
import { decodeForwardReply, decodeForwardRequest } from "../../src/metadata/forwarding.ts";
import { decodeSnapshot } from "../../src/metadata/image-codec.ts";
import { excessNestingAt, MAX_JSON_DEPTH, nestingProblem } from "../../src/metadata/json-nesting.ts";
import { preview, PREVIEW_CHARS } from "../../src/metadata/preview.ts";
import { seededRandom } from "../support/seeded-random.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const deep = (n: number, inner = "") => `${"[".repeat(n)}${inner}${"]".repeat(n)}`;
const deepObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

test("the scan counts arrays and objects, and stops at the first level past the bound", () => {
  expect(excessNestingAt(bytes(deep(3)), 3)).toBe(-1);
  expect(excessNestingAt(bytes(deep(4)), 3)).toBe(3);
  expect(excessNestingAt(bytes(deepObjects(4)), 3)).toBe(15);
  expect(excessNestingAt(bytes(`[{"a":[{}]}]`), 4)).toBe(-1);
  expect(excessNestingAt(bytes(`[{"a":[{}]}]`), 3)).toBe(7);
  // Siblings do not add up: depth returns as containers close.
  expect(excessNestingAt(bytes(`[${Array(1000).fill("[[]]").join(",")}]`), 3)).toBe(-1);
  expect(excessNestingAt(bytes(""), 1)).toBe(-1);
});

test("brackets inside strings, escaped quotes and multi-byte characters do not count", () => {
  expect(excessNestingAt(bytes(`["[[[[[[[[", "{{{{{"]`), 1)).toBe(-1);
  expect(excessNestingAt(bytes(`["a\\"[[[[", "\\\\"]`), 1)).toBe(-1);
  expect(excessNestingAt(bytes(`["\\\\", [[ ]]]`), 2)).toBe(8);
  expect(excessNestingAt(bytes(`["ü[€[😀", ["[["]]`), 2)).toBe(-1);
});

test("the message says the bound and where it was passed", () => {
  expect(nestingProblem(bytes(deep(MAX_JSON_DEPTH)))).toBeNull();
  expect(nestingProblem(bytes(deep(50_000)))).toBe(
    `it nests deeper than ${MAX_JSON_DEPTH} levels (at byte ${MAX_JSON_DEPTH}); at most ${MAX_JSON_DEPTH} levels of arrays and objects are accepted`,
  );
  expect(() => excessNestingAt(bytes("[]"), 0)).toThrow(RangeError);
});

test("preview shows small values as JSON and cuts large ones within the budget", () => {
  expect(preview(undefined)).toBe("undefined");
  expect(preview("7")).toBe('"7"');
  expect(preview({ a: [1, "x", null, true], b: {} })).toBe('{"a":[1,"x",null,true],"b":{}}');
  expect(preview([])).toBe("[]");
  const long = preview("x".repeat(1_000_000));
  expect(long.length).toBeLessThanOrEqual(PREVIEW_CHARS + 1);
  expect(long.endsWith("…")).toBe(true);
  expect(preview([1, 2, 3], 4)).toBe("[1,2…");
});

test("preview of a value too deep for JSON.stringify, or with many keys, is short and does not throw", () => {
  // JSON.stringify overflows the stack on this one, after seconds of work.
  const tooDeep = JSON.parse(deep(50_000));
  expect(preview(tooDeep)).toBe(`${"[".repeat(PREVIEW_CHARS)}…`);
  const wide: Record<string, number> = {};
  for (let i = 0; i < 20_000; i++) wide[`k${i}`] = i;
  const shown = preview(wide);
  expect(shown.startsWith('{"k0":0,"k1":1,')).toBe(true);
  expect(shown.length).toBeLessThanOrEqual(PREVIEW_CHARS + 1);
});

test("log entries and forwarded requests and replies are refused past the nesting bound", () => {
  expect(parseJson(bytes(deep(MAX_JSON_DEPTH)), 1 << 20).ok).toBe(true);
  const refused = parseJson(bytes(deep(MAX_JSON_DEPTH + 1)), 1 << 20);
  expect(refused).toEqual({ ok: false, message: expect.stringContaining(`deeper than ${MAX_JSON_DEPTH} levels`) });
  const command = decodeCommand(bytes(`{"kind":"createTopic","name":${deep(100_000)}}`));
  expect(command.ok).toBe(false);
  const forward = `{"op":"write","write":{"kind":"createTopic","name":${deep(100_000)}}}`;
  expect(() => decodeForwardRequest(bytes(forward))).toThrow(MetadataError);
  expect(() => decodeForwardRequest(bytes(forward))).toThrow(`deeper than ${MAX_JSON_DEPTH} levels`);
  expect(() => decodeForwardReply(bytes(`{"ok":true,"offset":1,"records":${deep(100_000)}}`))).toThrow(`deeper than ${MAX_JSON_DEPTH} levels`);
});

test("a deep value where a schema expects a string is reported in a short message, not rendered", () => {
  const command = decodeCommand(bytes(`{"kind":"createTopic","timestamp":"2026-11-24T00:00:00.000Z","topicUUID":"u","name":${deep(20)},"partitions":0,"replicationFactor":0}`));
  expect(command.ok).toBe(false);
  if (!command.ok) expect(command.message.length).toBeLessThan(200);
});

test("a snapshot (not scanned: written by a state machine) that is garbage 200,000 levels deep is reported, never thrown", () => {
  const garbage = decodeSnapshot(bytes(`{"format":"yakt-metadata-snapshot","version":1,"extra":${deep(200_000)}}`));
  expect(garbage.ok).toBe(false);
  const version = decodeSnapshot(bytes(`{"version":${deep(200_000)}}`));
  expect(version).toEqual({ ok: false, message: expect.stringContaining("is not supported") });
  if (!version.ok) expect(version.message.length).toBeLessThan(200);
});

/** The scan without its bracket-count shortcut: what excessNestingAt answered before it had one. */
function scanOnly(text: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return -1;
}

test("the bracket-count shortcut answers as the full scan does, at every bound and around it", () => {
  const random = seededRandom(20261207);
  const pieces = ["[", "]", "{", "}", '"', '\\"', "\\\\", "a", ",", ":", "ü", '"[[{{"'];
  for (let n = 0; n < 3_000; n++) {
    const length = Math.floor(random() * 80);
    const text = Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join("");
    const maxDepth = 1 + Math.floor(random() * 6);
    expect(excessNestingAt(bytes(text), maxDepth)).toBe(scanOnly(bytes(text), maxDepth));
  }
  // Exactly at the count the shortcut allows, and one past it, with the brackets nested or not.
  for (const depth of [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1]) {
    for (const text of [deep(depth), `[${"[],".repeat(depth - 1)}[]]`, `["${"[".repeat(depth)}"]`, deepObjects(depth)]) {
      expect(excessNestingAt(bytes(text))).toBe(scanOnly(bytes(text), MAX_JSON_DEPTH));
    }
  }
});
