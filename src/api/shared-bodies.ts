// Metadata answers encoded once and written to every request that gets the same answer object
// (src/metadata/shared-answers.ts hands one object to every fetch of the same diff or snapshot at
// the same offset). One commit wakes a whole fleet of long polls, so without this each poll would
// encode, and compress, its own copy of the same bytes. Bodies are Blobs: a Response over a Blob
// shares its bytes instead of copying them. A small answer is encoded at once; a larger one in
// slices, letting the event loop turn between them (the node's Raft ticks and peer traffic run
// there), and every asker waits for the same build. Kept per answer object (a WeakMap), so a body
// lives exactly as long as its answer is kept or being written.
import { type AnswerFormat, type AnswerPrefix, AnswerStream } from "../metadata/answer-stream.ts";
import type { MetadataAnswer } from "../metadata/service-types.ts";
import type { BodyEncoding } from "./content-negotiation.ts";
import type { ApiLimits } from "./limits.ts";

export type BodyLimits = Pick<ApiLimits, "streamSliceRecords" | "streamTurnMs">;

/** Bodies up to this size are compressed at once (about a millisecond); larger ones as a stream. */
export const SYNC_COMPRESS_BYTES = 16 * 1024;

/** A body being built, and once built the Blob itself, so later askers take it without a promise. */
interface KeptBody {
  promise: Promise<Blob>;
  built: Blob | null;
}

const bodies = new WeakMap<MetadataAnswer, Map<string, KeptBody>>();

/** Resolves once the event loop has turned (other requests, the Raft ticker and peer traffic ran). */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** True when a body for this answer, format, encoding and prefix is built or being built. */
export function hasSharedBody(answer: MetadataAnswer, format: AnswerFormat, encoding: BodyEncoding, prefix: AnswerPrefix): boolean {
  return bodies.get(answer)?.has(keyOf(format, encoding, prefix)) === true;
}

/**
 * The answer's body in this format and encoding when it is built already, else null: the polls a
 * commit wakes after the first all find it so, and are answered in the same turn with no promise.
 */
export function builtBody(answer: MetadataAnswer, format: AnswerFormat, encoding: BodyEncoding, prefix: AnswerPrefix): Blob | null {
  return bodies.get(answer)?.get(keyOf(format, encoding, prefix))?.built ?? null;
}

/** The answer's body in this format and encoding: built by the first asker, shared by the rest. */
export function sharedBody(answer: MetadataAnswer, format: AnswerFormat, encoding: BodyEncoding, prefix: AnswerPrefix, limits: BodyLimits): Promise<Blob> {
  if (encoding === "identity") return memo(answer, keyOf(format, encoding, prefix), () => encodedNow(answer, format, prefix, limits) ?? encoded(answer, format, prefix, limits));
  const plain = sharedBody(answer, format, "identity", prefix, limits);
  return memo(answer, keyOf(format, encoding, prefix), async () => compressed(await plain, encoding));
}

/**
 * Records in the answer, counting no further than `max` (a snapshot's partitions are counted topic
 * by topic, so a huge image costs no more than `max` to tell apart).
 */
export function answerRecords(answer: MetadataAnswer, max: number): number {
  if (answer.mode === "diff") return answer.records.length;
  const { capture, withProducers } = answer.image;
  let count = capture.brokers.size + capture.topics.size + (withProducers ? capture.producers.size : 0);
  for (const slot of capture.partitions.values()) {
    if (count > max) break;
    count += slot.byId.size;
  }
  return count;
}

function keyOf(format: AnswerFormat, encoding: BodyEncoding, prefix: AnswerPrefix): string {
  const keys = Object.keys(prefix);
  return keys.length === 0 ? `${format}|${encoding}` : `${format}|${encoding}|${JSON.stringify(prefix)}`;
}

/**
 * The kept body for `key`, or `build()`'s. A body built at once (a small diff) is kept as built
 * before this returns: the polls one commit woke run their continuations interleaved, so the rest
 * of them reach the answer before a promise callback of the first could run.
 */
function memo(answer: MetadataAnswer, key: string, build: () => Blob | Promise<Blob>): Promise<Blob> {
  let byKey = bodies.get(answer);
  if (byKey === undefined) {
    byKey = new Map();
    bodies.set(answer, byKey);
  }
  const kept = byKey.get(key);
  if (kept !== undefined) return kept.promise;
  const made = build();
  if (made instanceof Blob) {
    const entry: KeptBody = { promise: Promise.resolve(made), built: made };
    byKey.set(key, entry);
    return entry.promise;
  }
  const entry: KeptBody = { promise: made, built: null };
  byKey.set(key, entry);
  entry.promise.then(
    (blob) => {
      entry.built = blob;
    },
    // A failed build is not kept: the next asker tries again.
    () => byKey.delete(key),
  );
  return entry.promise;
}

/** The whole document at once when it is a diff that fits one slice, else null. */
function encodedNow(answer: MetadataAnswer, format: AnswerFormat, prefix: AnswerPrefix, limits: BodyLimits): Blob | null {
  if (answer.mode !== "diff" || answer.records.length > limits.streamSliceRecords) return null;
  return new Blob([new AnswerStream(answer, format, prefix).next(Number.MAX_SAFE_INTEGER) ?? ""]);
}

/** The whole document, a slice budget per loop turn. */
async function encoded(answer: MetadataAnswer, format: AnswerFormat, prefix: AnswerPrefix, limits: BodyLimits): Promise<Blob> {
  const stream = new AnswerStream(answer, format, prefix);
  const { streamSliceRecords: slice, streamTurnMs: turnMs } = limits;
  const parts: Uint8Array[] = [];
  for (;;) {
    await turn();
    const started = performance.now();
    while (performance.now() - started < turnMs) {
      const written = stream.next(slice);
      if (written === null) return new Blob(parts);
      if (written.length > 0) parts.push(written);
    }
  }
}

async function compressed(plain: Blob, encoding: Exclude<BodyEncoding, "identity">): Promise<Blob> {
  if (plain.size <= SYNC_COMPRESS_BYTES) {
    const bytes = new Uint8Array(await plain.arrayBuffer());
    return new Blob([encoding === "zstd" ? Bun.zstdCompressSync(bytes) : Bun.gzipSync(bytes)]);
  }
  return new Response(plain.stream().pipeThrough(compressor(encoding))).blob();
}

/** A compressing stream for the encoding. */
export function compressor(encoding: Exclude<BodyEncoding, "identity">): ReadableWritablePair<Uint8Array, Uint8Array> {
  // Bun's CompressionStream takes "zstd" natively; the DOM typings only know gzip and deflate.
  const stream = new CompressionStream(encoding as ConstructorParameters<typeof CompressionStream>[0]);
  return stream as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
}
