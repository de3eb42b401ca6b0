// A JSON text as an HTTP answer, compressed when it is large and the caller accepts zstd or gzip.
// Why: Bun 1.4.4 corks a response (status line, headers and body leave in one send()) only when it
// is written inside the request's own dispatch or fits the socket's 16-KiB cork buffer. An answer
// produced after an await — every linearizable read waits for its read index, every write for its
// commit — with a larger body goes out uncorked: the status line, each header's name, ": ", value
// and CRLF, the Date, the Content-Length and the body, each in its own send() (about 15; measured
// with strace; oven-sh/bun#41341). A topic of 100 partitions is ~30 KB of JSON: those 15 segments
// cost the node and the caller more CPU than compressing the body (zstd level 1: ~800 bytes to
// ~3 KB in ~12 µs), after which the whole answer fits the cork and leaves in one send().
// Small bodies are written as they are: they already leave in one send(); and so are very large
// ones, whose compression would hold the event loop for milliseconds while the ~14 extra sends are
// lost in the body's own cost.
import { type BodyEncoding, bodyEncodingOf } from "./content-negotiation.ts";
import { JSON_HEADERS, JSON_TYPE } from "./record-bodies.ts";

/** Bodies from this many characters on are compressed when the caller accepts it (well under the 16-KiB cork). */
export const COMPRESS_FROM_CHARS = 8 * 1024;

/** Bodies longer than this are written as they are (compressing 1 MiB takes ~1 ms on the loop). */
export const COMPRESS_UP_TO_CHARS = 1024 * 1024;

/** zstd's fastest level: the JSON of records is repetitive enough that it still shrinks ~10–40×. */
const ZSTD_LEVEL = 1;
const GZIP_LEVEL = 1;

const VARY = "accept-encoding";
const PLAIN_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": JSON_TYPE, vary: VARY });
const ZSTD_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": JSON_TYPE, vary: VARY, "content-encoding": "zstd" });
const GZIP_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "content-type": JSON_TYPE, vary: VARY, "content-encoding": "gzip" });

/** A JSON body and the headers it goes with. */
export interface EncodedJson {
  body: string | Uint8Array;
  headers: Readonly<Record<string, string>>;
}

/** Whether an answer of this text may be compressed: then it varies with Accept-Encoding. */
export function mayCompress(text: string): boolean {
  return text.length >= COMPRESS_FROM_CHARS && text.length <= COMPRESS_UP_TO_CHARS;
}

/** `text` (JSON) as a body of `encoding`: for a text that mayCompress. */
export function encodeJson(text: string, encoding: BodyEncoding): EncodedJson {
  switch (encoding) {
    case "zstd":
      return { body: Bun.zstdCompressSync(text, { level: ZSTD_LEVEL }), headers: ZSTD_HEADERS };
    case "gzip":
      return { body: Bun.gzipSync(text, { level: GZIP_LEVEL }), headers: GZIP_HEADERS };
    case "identity":
      return { body: text, headers: PLAIN_HEADERS };
  }
}

/** `text` (JSON) as the answer to `request`, zstd- or gzip-encoded when it is large and the request's Accept-Encoding allows it. */
export function jsonAnswer(text: string, status: number, request: Request): Response {
  // Only a large answer looks at the request's headers (building them costs a read a few per cent).
  if (!mayCompress(text)) return new Response(text, { status, headers: JSON_HEADERS });
  const { body, headers } = encodeJson(text, bodyEncodingOf(request.headers));
  return new Response(body, { status, headers });
}

/** jsonAnswer typed as the value its text encodes, for the route's type (the Eden client parses the body back into it). */
export function typedJsonAnswer<T>(text: string, status: number, request: Request): T {
  return jsonAnswer(text, status, request) as unknown as T;
}

/**
 * `value` as Elysia answers a value it encodes itself (JSON.stringify's text, never compressed,
 * Bun's JSON type): a fast route's small answer. Response.json encodes natively and sets the type
 * without a headers object to convert, a third less of the answer's cost than new Response.
 */
export function jsonResponse(value: unknown, status: number): Response {
  return Response.json(value, status);
}

/** `value` as JSON.stringify writes it (what Elysia would send), through jsonAnswer; typed as the value, for the route's type. */
export function jsonValueAnswer<T>(value: T, status: number, request: Request): T {
  return typedJsonAnswer(JSON.stringify(value), status, request);
}
