// Start-up warm-up, so a node answers at its steady cost from its first client on. A fresh process
// runs its code in JavaScriptCore's interpreter until each function has run often enough to be
// compiled, and its restore leaves the decoded snapshot's garbage for the first collections:
// measured at 1M partitions, the first 2,000 topic GETs after a restart cost the node ~2× the CPU of
// later ones (p99 10–20 ms against 5 ms), and a collection of the restore's garbage held its loop
// up to 256 ms among them. So two steps, both before the node listens for clients:
// - collectRestoreGarbage: one full collection right after the restore, before the peer transport
//   starts (nobody, peer or client, waits on the node then; the restore itself held it longer);
// - warmUp: a bounded number of real topic reads through the code a GET runs (the route, the hooks,
//   the image's look-ups, the JSON of the records, each Accept-Encoding's compression, the kept
//   bodies), in slices of a few ms with a turn of the event loop between them, so the peers'
//   traffic is never held long (a turn per read was too slow: on an idle loop a turn waits for the
//   next timer, ~10 ms); and an eden (young-generation) collection after every
//   WARM_UP_READS_PER_COLLECTION reads and after the last. Why: a read leaves ~100 KB of young
//   garbage (the JSON text, the request and answer, the bodies), and over a heap of ~215 MB (1M
//   partitions) JavaScriptCore let all 1,500 reads' garbage pile up before its own first eden
//   collection: the warm-up raised the node's RSS by ~147 MiB (337 → 484) just as it starts, when a
//   follower also receives its leader's snapshot (issue 10's start-up peak). With a collection
//   every 100 reads it rises by 20–35 MiB, at no measured cost to the first GETs after (README,
//   "A node's first seconds after a start"). One collection at the end alone does not lower it:
//   the pages stay resident once touched; collected as it goes, the next reads reuse them. An eden
//   collection visits only what was allocated since the last one (15 took 16–26 ms in all at 1M
//   partitions), where a full one there takes 45–530 ms.
// The reads go to a throwaway app over the same service (createApp's code, so it is that code that
// gets compiled, while the node's own request counters and kept bodies stay untouched), each to
// the handler a listening node's router gives `GET /v1/topics/:name`: the fast route
// (fast-route.ts), which serves the plain form itself and hands a query string on to Elysia. Half
// the reads take each form, so both paths are compiled: before, every read asked
// `?consistency=stale` of Elysia's handler and the fast route that serves clients' plain GETs ran
// cold on the first of them. Every read is stale underneath (the throwaway app is made with plain
// topic reads stale: no read round, nothing goes to the peers, no leader needed). A first try gave
// the app a service object of its own whose topic read was stale: the served app's first GETs then
// cost more CPU than with no warm-up of the fast route (its compiled code had seen another object).
// A failure is reported, never thrown: a warm-up is a speed-up, never a reason not to start.
import { YoungCollections, collectYoungGeneration } from "../node/young-collections.ts";
import { invariant } from "../node/errors.ts";
import { fastRoutesOf } from "./fast-route.ts";
import { TOPIC_PATH } from "./routes/topics.ts";

/** Reads at most: measured, the read path runs at its steady cost after ~1,000 GETs; a third of that is most of the gain at ~0.1–0.3 ms each. */
export const WARM_UP_READS = 1500;
/** Distinct topics read at most (each read of one that was read before is a kept-body hit). */
export const WARM_UP_TOPICS = 1000;
/** A bound on the warm-up's wall time: on a loaded machine it stops early rather than delay the start. */
export const WARM_UP_DEADLINE_MS = 2_000;
/** Reads between two eden collections of their garbage (and one after the last read). */
export const WARM_UP_READS_PER_COLLECTION = 100;
/** Reads run back to back for this long, then the loop gets a turn: a pause well under the 20-ms goal. */
export const WARM_UP_SLICE_MS = 4;

/** The Accept-Encoding values clients send (Bun's and curl's fetch, a bare client), in turn. */
const ACCEPT_ENCODINGS = ["gzip, deflate, br, zstd", "gzip", "identity"] as const;

export interface WarmUpOptions {
  /** Answers a topic GET as a listening node does (warmUpReader's handle over a throwaway app). */
  handle: (request: Request) => Promise<Response>;
  /** Topics to read (real names of the image; any order); the warm-up cycles over them. */
  topicNames: readonly string[];
  reads?: number;
  deadlineMs?: number;
  /** Monotonic ms; default performance.now. */
  now?: () => number;
  /** Lets the event loop run between slices; default one macrotask turn (setImmediate). */
  yieldTurn?: () => Promise<void>;
  /** Collects the young generation (the reads' garbage); default bun:jsc's edenGC. */
  collectYoung?: () => void;
}

export interface WarmUpResult {
  reads: number;
  /** Wall time of the reads (their collections included). */
  readMs: number;
  /** Eden collections run, and their wall time; a collection that threw is no reason to stop (collectError). */
  collections: number;
  collectMs: number;
  /** Why it stopped before its reads were done (deadline) or failed; absent when it ran whole. */
  stopped?: string;
  /** The message of the last collection that threw, if one did. */
  collectError?: string;
}

/** Reads topics through the GET path; resolves with what it did, never rejects. */
export async function warmUp(o: WarmUpOptions): Promise<WarmUpResult> {
  const reads = o.reads ?? WARM_UP_READS;
  const deadlineMs = o.deadlineMs ?? WARM_UP_DEADLINE_MS;
  invariant(Number.isSafeInteger(reads) && reads >= 0, () => `warm-up reads must be a whole number ≥ 0, got ${reads}`);
  invariant(deadlineMs > 0, () => `warm-up deadline must be positive, got ${deadlineMs} ms`);
  const now = o.now ?? (() => performance.now());
  const yieldTurn = o.yieldTurn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const names = o.topicNames.slice(0, WARM_UP_TOPICS);
  const young = new YoungCollections(o.collectYoung ?? collectYoungGeneration, WARM_UP_READS_PER_COLLECTION, now);
  const t0 = now();
  let done = 0;
  let stopped: string | undefined;
  let sliceStart = t0;
  let step = "";
  try {
    while (done < reads && names.length > 0) {
      if (now() - sliceStart >= WARM_UP_SLICE_MS) {
        await yieldTurn();
        sliceStart = now();
      }
      if (now() - t0 > deadlineMs) {
        stopped = `deadline of ${deadlineMs} ms passed after ${done} reads`;
        break;
      }
      step = `read ${done + 1}`;
      await readOnce(o.handle, names[done % names.length], ACCEPT_ENCODINGS[done % ACCEPT_ENCODINGS.length], READ_FORMS[done % READ_FORMS.length]);
      done++;
      young.note();
    }
    // The last reads' garbage too (also after a deadline): the node is about to serve its clients.
    young.finish();
  } catch (e) {
    stopped = `${step} failed: ${(e as Error).message}`;
  }
  const { youngCollections: collections, collectMs, collectError } = young.report();
  return {
    reads: done,
    readMs: Math.round(now() - t0),
    collections,
    collectMs: Math.round(collectMs),
    ...(stopped === undefined ? {} : { stopped }),
    ...(collectError === undefined ? {} : { collectError }),
  };
}

/**
 * One full, synchronous collection (Bun.gc(true) by default); its wall ms, or why it failed. Called
 * once, right after the restore: the decoded snapshot's buffers and the records an image replaced
 * are garbage then, and no one waits on the node yet.
 */
export function collectRestoreGarbage(collect: () => void = () => Bun.gc(true), now: () => number = () => performance.now()): { gcMs: number } | { gcFailed: string } {
  const t0 = now();
  try {
    collect();
  } catch (e) {
    return { gcFailed: (e as Error).message };
  }
  return { gcMs: Math.round(now() - t0) };
}

/** The process's memory in MiB for the warm_up_done line: what the warm-up found and what it left. */
export function memoryMiB(usage: NodeJS.MemoryUsage = process.memoryUsage()): { rssMiB: number; heapMiB: number; externalMiB: number } {
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return { rssMiB: mib(usage.rss), heapMiB: mib(usage.heapUsed), externalMiB: mib(usage.external) };
}

/** The two forms of a topic GET, in turn: the fast route's own (plain) and Elysia's (a query string, handed on). */
const READ_FORMS = ["", "?consistency=stale"] as const;

/** One topic GET in the form `form`, its body read whole. */
async function readOnce(handle: WarmUpOptions["handle"], name: string, acceptEncoding: string, form: string): Promise<void> {
  const url = `http://warm-up.invalid/v1/topics/${encodeURIComponent(name)}${form}`;
  const answer = await handle(new Request(url, { headers: { "accept-encoding": acceptEncoding } }));
  await answer.arrayBuffer();
  invariant(answer.status === 200, () => `warm-up read of topic ${name} answered ${answer.status}`);
}

/** What warmUpLogged needs: the throwaway app, the topics to read, where its line goes. */
export interface LoggedWarmUpOptions {
  makeApp: (plainTopicReads: "stale") => WarmUpApp;
  /** Topics to read, asked when it starts (real names of the image). */
  topicNames: () => readonly string[];
  /** The `warm_up_done` line's fields. */
  log: (fields: Record<string, unknown>) => void;
  /** More fields for the line (the restore's collection). */
  fields?: Record<string, unknown>;
}

/**
 * One warm-up of the node's read path over a throwaway app, logged in one line: what it did, the
 * reads its fast route answered itself, and the process's memory before and after. The app and its
 * kept bodies (~18 MiB at 1M partitions) are dropped when it returns.
 */
export async function warmUpLogged(o: LoggedWarmUpOptions): Promise<void> {
  const reader = warmUpReader(o.makeApp);
  const memoryBefore = memoryMiB();
  const warmed = await warmUp({ handle: reader.handle, topicNames: o.topicNames() });
  o.log({ ...o.fields, ...warmed, fastRouteReads: reader.fastRouteReads(), memoryBefore, memoryAfter: memoryMiB() });
}

/** An app as createApp makes it: the fast routes in its serve options (Elysia's handler behind them). */
interface WarmUpApp {
  config: { serve?: unknown };
}

/** The warm-up's reader: its handle, and how many reads in the fast route's plain form were answered. */
export interface WarmUpReader {
  handle: (request: Request) => Promise<Response>;
  fastRouteReads(): number;
}

/**
 * A reader over a throwaway app that `makeApp` builds at the first read (so that even its failure
 * is the warm-up's) with plain topic reads stale (createApp's plainTopicReads: no read round, no
 * peer, no leader needed; the same functions and objects as the served app's, so the code compiled
 * is the code that serves): each request goes to the app's fast `GET /v1/topics/:name` handler, as
 * Bun's router sends a topic GET when the node listens.
 */
export function warmUpReader(makeApp: (plainTopicReads: "stale") => WarmUpApp): WarmUpReader {
  let read: ((request: Request) => Promise<Response>) | null = null;
  let fast = 0;
  const handle = async (request: Request) => {
    read ??= topicReadHandler(makeApp("stale"));
    const answer = await read(request);
    if (answer.status === 200 && !request.url.includes("?")) fast++;
    return answer;
  };
  return { handle, fastRouteReads: () => fast };
}

/** The handler a listening node's router gives a topic GET: the app's fast route. */
function topicReadHandler(app: WarmUpApp): (request: Request) => Promise<Response> {
  const read = fastRoutesOf(app)[TOPIC_PATH]?.GET;
  invariant(read !== undefined, () => `the app has no fast route for GET ${TOPIC_PATH}`);
  return (request) => read(request);
}

