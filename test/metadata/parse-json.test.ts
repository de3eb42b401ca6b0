// parseJson reads UTF-8 leniently and decodes again strictly only when the text holds U+FFFD: it
// must answer every input exactly as parsing the fatal decoder's text does (the same value, the
// same refusal), whether the bytes are UTF-8 or not.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseJson } from "../../src/metadata/commands.ts";

const fatal = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextEncoder();

/** What parseJson answered before: the fatal decoder's text, parsed. */
function reference(data: Uint8Array): ReturnType<typeof parseJson> {
  try {
    return { ok: true, value: JSON.parse(fatal.decode(data)) };
  } catch (error) {
    return { ok: false, message: `payload is not UTF-8 JSON: ${(error as Error).message}` };
  }
}

/** JSON strings with characters of every width, U+FFFD among them, and bytes cut or changed. */
const text = fc.string({ unit: fc.constantFrom("a", "\"", "é", "€", "😀", "\ufffd", "\ufeff", "\\", "1", "{", "}") });
const bytes = fc.oneof(
  text.map((t) => utf8.encode(JSON.stringify({ t }))),
  fc.tuple(text, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([t, at, byte]) => {
    const data = utf8.encode(JSON.stringify([t]));
    data[at % data.length] = byte;
    return data;
  }),
  fc.uint8Array({ maxLength: 24 }),
);

describe("parseJson", () => {
  test("answers as the fatal decoder's text, parsed, for UTF-8 and for bytes that are not", () => {
    fc.assert(
      fc.property(bytes, (data) => expect(parseJson(data, 1 << 20)).toEqual(reference(data))),
      { seed: 20261207, numRuns: 3_000 },
    );
  });

  test("a U+FFFD in the text is kept; an invalid sequence is refused; a leading BOM is dropped", () => {
    expect(parseJson(utf8.encode('"\ufffd"'), 100)).toEqual({ ok: true, value: "\ufffd" });
    expect(parseJson(new Uint8Array([0x22, 0xff, 0x22]), 100)).toMatchObject({ ok: false, message: expect.stringContaining("not UTF-8 JSON") });
    expect(parseJson(new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), 100)).toEqual({ ok: true, value: 1 });
  });
});
