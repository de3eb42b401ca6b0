// `yakt log [--from N] [--limit N]`: a page of the event log (GET /v1/log), printed like
// kafka-dump-log prints records. The same printer serves `yakt dump-log`.
import { MAX_LOG_PAGE } from "../../metadata/limits.ts";
import type { LogPageShape } from "./api-shapes.ts";
import { intOption, parseClientArgs, positionals } from "./client-options.ts";
import { HttpClient } from "./http-client.ts";
import { left, print, right, table, type Write } from "./output.ts";

export const PAGE_FLAGS = { from: { type: "string" }, limit: { type: "string" } } as const;
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export async function logCommand(args: string[], write: Write): Promise<number> {
  const { options, positionals: given, flags } = parseClientArgs("log", args, PAGE_FLAGS);
  positionals("log", given, []);
  const query = new URLSearchParams();
  const from = intOption("from", flags.from, 0, MAX_OFFSET);
  const limit = intOption("limit", flags.limit, 1, MAX_LOG_PAGE);
  if (from !== undefined) query.set("from", String(from));
  if (limit !== undefined) query.set("limit", String(limit));
  const page = (await new HttpClient(options).json("GET", `/v1/log${query.size ? `?${query}` : ""}`)) as LogPageShape;
  print(options, write, page, () => logLines(page));
  return 0;
}

export function logLines(page: LogPageShape): string[] {
  const rows = page.records.map((r) => [r.offset, r.timestamp, r.name, JSON.stringify(r.fields)]);
  return [
    `offsets held ${page.firstOffset}..${page.lastOffset}, ${page.records.length} record${page.records.length === 1 ? "" : "s"} shown`,
    ...table([right("OFFSET"), left("TIMESTAMP"), left("RECORD"), { title: "FIELDS", maxChars: 400 }], rows),
  ];
}
