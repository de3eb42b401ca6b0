// What a metadata answer is written as, from the request's Accept and Accept-Encoding: NDJSON when
// Accept names application/x-ndjson, else JSON; zstd or gzip when Accept-Encoding allows them
// (the higher q wins; zstd on a tie: Bun compresses it natively, smaller and cheaper than gzip).
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

export function answerFormatOf(headers: Headers): AnswerFormat {
  return (weighted(headers.get("accept")).get(NDJSON_TYPE) ?? 0) > 0 ? "ndjson" : "json";
}

export function bodyEncodingOf(headers: Headers): BodyEncoding {
  const codings = weighted(headers.get("accept-encoding"));
  const q = (name: string) => codings.get(name) ?? codings.get("*") ?? 0;
  const zstd = q("zstd");
  const gzip = q("gzip");
  if (zstd > 0 && zstd >= gzip) return "zstd";
  return gzip > 0 ? "gzip" : "identity";
}
