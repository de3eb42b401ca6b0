import { describe, expect, test } from "bun:test";
import { renderPairs, renderTable } from "../../src/admin/table.ts";
import { describeError, formatDuration, printable } from "../../src/admin/text.ts";

describe("renderTable", () => {
  test("pads columns to the widest cell, right-aligns numbers, trims trailing spaces", () => {
    expect(
      renderTable(
        [{ title: "ID", align: "right" }, { title: "NAME" }, { title: "N", align: "right" }],
        [
          [1, "alpha", 10],
          [22, "b", 3],
        ],
      ),
    ).toEqual(["ID  NAME    N", " 1  alpha  10", "22  b       3"]);
  });

  test("refuses a row whose cell count does not match the columns", () => {
    expect(() => renderTable([{ title: "A" }], [["x", "y"]])).toThrow("table row has 2 cells, the table 1 columns");
  });

  test("cells are made printable and cut to the column bound", () => {
    const [, row] = renderTable([{ title: "V", maxChars: 5 }], [["ab\u001bcdefgh"]]);
    expect(row).toBe("ab?c…");
  });
});

describe("renderPairs", () => {
  test("aligns values after the longest key", () => {
    expect(renderPairs([["a", 1], ["longer", "x"], ["e", ""]])).toEqual(["a       1", "longer  x", "e"]);
  });
});

describe("text helpers", () => {
  test("printable replaces C0 and C1 controls", () => {
    expect(printable("a\r\nb\u0007\u009bc")).toBe("a??b??c");
  });

  test("formatDuration", () => {
    expect([0, 999, 1000, 12_345, 60_000, 125_000].map(formatDuration)).toEqual(["0 ms", "999 ms", "1.0 s", "12.3 s", "1 min 0 s", "2 min 5 s"]);
  });

  test("describeError adds a string code and flattens the message to one line", () => {
    const error = Object.assign(new Error("bad\nthing"), { code: "x_code" });
    expect(describeError(error)).toBe("bad?thing (x_code)");
    expect(describeError("plain")).toBe("plain");
  });
});
