// What a client command prints: the server's JSON as it came (--output json, for scripts) or
// aligned tables (--output table, for people), always ending in a newline.
import { type Cell, type Column, renderPairs, renderTable } from "../../admin/table.ts";
import type { ClientOptions } from "./client-options.ts";

export type Write = (text: string) => void;

export const stdoutWrite: Write = (text) => process.stdout.write(text);

export function printJson(write: Write, value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** JSON as given, or the lines `table()` builds from it. */
export function print(options: ClientOptions, write: Write, value: unknown, table: () => string[]): void {
  if (options.output === "json") printJson(write, value);
  else write(`${table().join("\n")}\n`);
}

export function table(columns: readonly Column[], rows: readonly Cell[][]): string[] {
  return renderTable(columns, rows);
}

export function pairs(items: readonly (readonly [string, Cell])[]): string[] {
  return renderPairs(items);
}

export const right = (title: string): Column => ({ title, align: "right" });
export const left = (title: string): Column => ({ title });
export const list = (values: readonly unknown[]): string => values.join(",");
