// What a metadata answer is written as, from the request's Accept and Accept-Encoding: NDJSON when
// Accept names application/x-ndjson, else JSON; zstd or gzip when Accept-Encoding allows them
// (the higher q wins; zstd on a tie: Bun compresses it natively, smaller and cheaper than gzip).
// A fleet of brokers sends the same few header values on every poll, so each value's outcome is
// remembered (a bounded table of short values), not parsed again.
import type { AnswerFormat } from "../metadata/answer-stream.ts";

export type BodyEncoding = "zstd" | "gzip" | "identity";

export const NDJSON_TYPE = "application/x-ndjson";

/** Media ranges or codings with their q (RFC 9110 §12.4.2); a q of 0 means "not acceptable". */
function weighted(header: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (name === "") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = q === undefined ? 1 : Number(q.slice(2));
    out.set(name, Number.isFinite(value) ? value : 0);
  }
  return out;
}

/** Header values remembered per table, and the longest remembered (longer ones are parsed each time). */
export const REMEMBERED_VALUES = 32;
export const REMEMBERED_LENGTH = 256;

/** `decide` of a header value, remembered for short values; a full table is emptied (the fleet's few values come back at once). */
function remembered<T>(decide: (header: string | null) => T): (header: string | null) => T {
  const table = new Map<string | null, T>();
  return (header) => {
    const kept = table.get(header);
    if (kept !== undefined) return kept;
    const decided = decide(header);
    if (header !== null && header.length > REMEMBERED_LENGTH) return decided;
    if (table.size >= REMEMBERED_VALUES) table.clear();
    table.set(header, decided);
    return decided;
  };
}

const formatOf = remembered((accept): AnswerFormat => ((weighted(accept).get(NDJSON_TYPE) ?? 0) > 0 ? "ndjson" : "json"));
const encodingOf = remembered(chooseEncoding);

export function answerFormatOf(headers: Headers): AnswerFormat {
  return formatOf(headers.get("accept"));
}

export function bodyEncodingOf(headers: Headers): BodyEncoding {
  return encodingOf(headers.get("accept-encoding"));
}

function chooseEncoding(acceptEncoding: string | null): BodyEncoding {
  const codings = weighted(acceptEncoding);
  const q = (name: string) => codings.get(name) ?? codings.get("*") ?? 0;
  const zstd = q("zstd");
  const gzip = q("gzip");
  if (zstd > 0 && zstd >= gzip) return "zstd";
  return gzip > 0 ? "gzip" : "identity";
}
