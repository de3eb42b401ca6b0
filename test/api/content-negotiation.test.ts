// Content negotiation of metadata answers: the choice for each header value, the same when the
// value is remembered, for many distinct values (the table is bounded) and for long ones.
import { describe, expect, test } from "bun:test";
import { type BodyEncoding, REMEMBERED_LENGTH, REMEMBERED_VALUES, answerFormatOf, bodyEncodingOf } from "../../src/api/content-negotiation.ts";

const encodingOf = (value: string | null) => bodyEncodingOf(new Headers(value === null ? {} : { "accept-encoding": value }));
const formatOf = (value: string | null) => answerFormatOf(new Headers(value === null ? {} : { accept: value }));

describe("content negotiation", () => {
  test("each value decides the same the first time and every time after", () => {
    const cases: [string | null, BodyEncoding][] = [
      [null, "identity"],
      ["gzip, deflate, br, zstd", "zstd"],
      ["zstd;q=0.5, gzip", "gzip"],
      ["br, gzip;q=0", "identity"],
      ["*", "zstd"],
      ["*;q=0, gzip", "gzip"],
    ];
    for (let round = 0; round < 3; round++) for (const [value, expected] of cases) expect(encodingOf(value)).toBe(expected);
    for (let round = 0; round < 3; round++) {
      expect(formatOf("application/x-ndjson")).toBe("ndjson");
      expect(formatOf("application/json, application/x-ndjson;q=0")).toBe("json");
      expect(formatOf(null)).toBe("json");
    }
  });

  test("many distinct values and long values still decide right (the table stays bounded)", () => {
    for (let i = 0; i < REMEMBERED_VALUES * 3; i++) {
      expect(encodingOf(`gzip;q=0.${(i % 9) + 1}, x-${i}`)).toBe("gzip");
      expect(encodingOf(`zstd, x-${i}`)).toBe("zstd");
    }
    const long = `${"x-pad, ".repeat(REMEMBERED_LENGTH)}gzip`;
    expect(encodingOf(long)).toBe("gzip");
    expect(encodingOf(long.replace("gzip", "br"))).toBe("identity");
  });
});
