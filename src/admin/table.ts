// Aligned plain-text tables for the console: fixed-width columns, two spaces apart, numbers
// right-aligned so digits line up.
import { MAX_CELL_CHARS, printable } from "./text.ts";

export interface Column {
  title: string;
  align?: "left" | "right";
  /** Longest cell shown in this column (default MAX_CELL_CHARS); longer ones end in "…". */
  maxChars?: number;
}

export type Cell = string | number;

/** Header line plus one line per row; every cell is made printable first. */
export function renderTable(columns: readonly Column[], rows: readonly Cell[][]): string[] {
  const cells = rows.map((row) => {
    if (row.length !== columns.length) {
      throw new RangeError(`table row has ${row.length} cells, the table ${columns.length} columns`);
    }
    return row.map((cell, i) => printable(String(cell), columns[i].maxChars ?? MAX_CELL_CHARS));
  });
  const widths = columns.map((col, i) => Math.max(col.title.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (columns[i].align === "right" ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)];
}

/** "key   value" lines with the keys padded to one width. */
export function renderPairs(pairs: readonly (readonly [string, Cell])[]): string[] {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${printable(String(value))}`.trimEnd());
}
