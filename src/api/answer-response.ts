// A metadata answer as an HTTP response. An answer of at most sharedAnswerMaxRecords records is
// encoded once and its bytes shared by every request that gets the same answer (shared-bodies.ts:
// a fleet of long polls woken by one commit); a snapshot's build takes a slot of the node's stream
// gate while it runs. A larger answer is never built whole: a ReadableStream whose pull writes one
// bounded slice (answer-stream.ts) after letting the event loop turn, so a reader that does not
// read stops the writing (back-pressure) and other requests run between slices. Such snapshot
// answers take a slot of the stream gate for as long as they are written and are cut after
// imageStreamMaxMs, so the frozen views readers pin are bounded in number and in time. Each chunk
// is told to the gate's collector of young garbage, which collects at the start of a pull, once
// the last pull's chunks are taken (young-garbage.ts): a streamed image is its size in garbage.
import { type AnswerFormat, type AnswerPrefix, AnswerStream } from "../metadata/answer-stream.ts";
import type { MetadataAnswer } from "../metadata/service-types.ts";
import { type BodyEncoding, NDJSON_TYPE, answerFormatOf, bodyEncodingOf } from "./content-negotiation.ts";
import type { ApiLimits } from "./limits.ts";
import { JSON_TYPE } from "./record-bodies.ts";
import { answerRecords, builtBody, compressor, hasSharedBody, sharedBody, turn } from "./shared-bodies.ts";
import type { StreamGate } from "./stream-gate.ts";
import type { YoungGarbage } from "./young-garbage.ts";

export interface AnswerResponseDeps {
  limits: Pick<ApiLimits, "imageStreamMaxMs" | "streamSliceRecords" | "streamTurnMs" | "streamChunkBytes" | "sharedAnswerMaxRecords">;
  streams: StreamGate;
}

/** The headers of each shared body (one format, encoding and offset each), made once for all its askers. */
const sharedHeaders = new WeakMap<Blob, Headers>();

export function answerResponse(deps: AnswerResponseDeps, answer: MetadataAnswer, request: Request, prefix: AnswerPrefix = {}): Response | Promise<Response> {
  const format = answerFormatOf(request.headers);
  const encoding = bodyEncodingOf(request.headers);
  // The common case of a woken fleet: the body is built, so the answer is made at once.
  const built = builtBody(answer, format, encoding, prefix);
  if (built !== null) return sharedResponse(built, answer, format, encoding);
  const shareable = deps.limits.sharedAnswerMaxRecords;
  if (answerRecords(answer, shareable) <= shareable) {
    // Only the request that starts a snapshot's build takes a slot, for as long as the build runs.
    const leave = answer.mode === "snapshot" && !hasSharedBody(answer, format, encoding, prefix) ? deps.streams.enter() : () => {};
    const body = sharedBody(answer, format, encoding, prefix, deps.limits);
    body.then(leave, leave);
    // A small diff is built at once (shared-bodies.ts): its first asker need not wait either.
    const now = builtBody(answer, format, encoding, prefix);
    if (now !== null) return sharedResponse(now, answer, format, encoding);
    return body.then((blob) => sharedResponse(blob, answer, format, encoding));
  }
  const leave = answer.mode === "snapshot" ? deps.streams.enter() : () => {};
  const body = sliced(new AnswerStream(answer, format, prefix), deps.limits, deps.streams.garbage, leave);
  return new Response(compressed(body, encoding), { headers: answerHeaders(answer, format, encoding) });
}

/** A shared body's answer, with the headers made for it by its first asker (Response copies them). */
function sharedResponse(blob: Blob, answer: MetadataAnswer, format: AnswerFormat, encoding: BodyEncoding): Response {
  let headers = sharedHeaders.get(blob);
  if (headers === undefined) {
    headers = new Headers(answerHeaders(answer, format, encoding));
    sharedHeaders.set(blob, headers);
  }
  return new Response(blob, { headers });
}

function answerHeaders(answer: MetadataAnswer, format: AnswerFormat, encoding: BodyEncoding): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": format === "ndjson" ? `${NDJSON_TYPE};charset=utf-8` : JSON_TYPE,
    "x-metadata-offset": String(answer.offset),
    vary: "accept, accept-encoding",
  };
  if (encoding !== "identity") headers["content-encoding"] = encoding;
  return headers;
}

function compressed(body: ReadableStream<Uint8Array>, encoding: BodyEncoding): ReadableStream<Uint8Array> {
  if (encoding === "identity") return body;
  return encoding === "zstd" ? headFramed(body) : body.pipeThrough(compressor(encoding));
}

/**
 * A zstd stream whose first chunk (the head and the first slice) is a frame of its own, the rest
 * one frame through CompressionStream. CompressionStream cannot be flushed and held its first
 * output until megabytes of JSON had gone in: the first byte came 70–330 ms after the request at
 * 2M partitions (make bench-scale's fetch asks for zstd). A zstd body is one or more frames (RFC
 * 8878), read in turn by every decoder (Bun's fetch and DecompressionStream, node:zlib, curl
 * checked). gzip keeps one member: decoders that stop after the first member are not rare.
 */
function headFramed(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const plain = body.getReader();
  /** The rest through CompressionStream, once the first chunk went out as its own frame. */
  let rest: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> } | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (rest !== null) {
          const next = await rest.read();
          return next.done || next.value === undefined ? controller.close() : controller.enqueue(next.value);
        }
        const first = await plain.read();
        if (first.done) return controller.close();
        controller.enqueue(Bun.zstdCompressSync(first.value));
        plain.releaseLock();
        rest = body.pipeThrough(compressor("zstd")).getReader();
      },
      cancel(reason) {
        return (rest ?? plain).cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The answer's slices as a pull stream. Each pull first lets the loop turn, then writes slices
 * until it has spent streamTurnMs or has streamChunkBytes: slices bound the work between
 * two looks at the clock, the turn budget bounds the pause, and fewer, larger chunks keep the
 * per-chunk cost of the socket and the compressor low.
 */
function sliced(encoder: AnswerStream, limits: AnswerResponseDeps["limits"], garbage: YoungGarbage, leave: () => void): ReadableStream<Uint8Array> {
  const { streamSliceRecords: slice, streamTurnMs: turnMs, streamChunkBytes: chunkBytes, imageStreamMaxMs: maxMs } = limits;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  const finish = () => {
    ended = true;
    clearTimeout(timer);
    leave();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        timer = setTimeout(() => {
          finish();
          controller.error(new Error(`the metadata stream was not read to its end within ${maxMs} ms and was cut`));
        }, maxMs);
      },
      async pull(controller) {
        try {
          // Slices that only sort write nothing: the loop turns between turn budgets all the same.
          for (;;) {
            await turn();
            if (ended) return; // cut (or cancelled) while the loop turned
            // The last pull's chunks are taken (a pull comes once the queue is empty): its slices'
            // strings and bytes are garbage now, and few young objects are alive to be promoted.
            // A collection gets a turn of the loop to itself, so its pause and the slices' never add up.
            if (garbage.collectIfDue()) continue;
            const started = performance.now();
            let bytes = 0;
            while (bytes < chunkBytes && performance.now() - started < turnMs) {
              const written = encoder.next(slice);
              if (written === null) {
                finish();
                return controller.close();
              }
              if (written.length > 0) {
                controller.enqueue(written);
                garbage.wrote(written.length);
              }
              bytes += written.length;
            }
            if (bytes > 0) return;
          }
        } catch (error) {
          finish();
          controller.error(error);
        }
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 1 },
  );
}
