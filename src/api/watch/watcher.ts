// One client of GET /v1/watch: its stream, the offset it has got to, and the bound on what may wait
// unsent for it. A watcher whose unsent bytes pass the bound is cut with a `cut` event (it resumes
// with Last-Event-ID, and gets a snapshot if it fell behind what the log still holds). A cut or
// ended watcher's bytes still wait for the client to read them: past drainMs (or when the hub
// needs the memory: watch-hub.ts) the connection is dropped and they are freed. A snapshot
// event is never built whole: it is written from its frozen view in slices (answer-stream.ts),
// each once the client has read the last, and records committed meanwhile wait behind it; a client
// that leaves a slice unread for stallMs has its stream ended (the partial event is dropped).
// Record events are encoded once per answer and the same bytes go to every watcher it reaches.
// What waits unsent is held here, not in the stream's queue: the stream's consumer (Bun writing
// the response, served-body.ts) is handed the next chunk, of at most HANDOFF_BYTES, only when it
// asks for more, which it does once the last was written. So the bytes a watcher holds on this
// side, whatever the consumer took and has not yet written included, count toward its bounds, and
// a client that stops reading leaves at most one chunk in Bun's hands, never a whole backlog.
// The hub's total (HeldBytes) counts a queued chunk once however many watchers queue it, as it is
// held once in memory, and what each consumer holds (Bun copies what it cannot write at once) per
// watcher.
import { AnswerStream } from "../../metadata/answer-stream.ts";
import type { HeldBytes } from "./held-bytes.ts";
import { invariant } from "../../metadata/invariant.ts";
import type { MetadataRecord } from "../../metadata/records.ts";
import type { MetadataAnswer } from "../../metadata/service-types.ts";
import { sseEvent, sseRetry } from "./sse.ts";

/** How a snapshot event is written: records per slice, and how long a slice may wait to be read. */
export interface SnapshotPumping {
  sliceRecords: number;
  stallMs: number;
  /** Called once the snapshot event is written or abandoned (frees its stream slot). */
  done: () => void;
}

/** What a watcher is told by, and tells, its hub. */
export interface WatcherTerms {
  /** Unsent bytes (beyond a snapshot slice) past which the watcher is cut. */
  maxBufferBytes: number;
  /** How long a closed watcher's unsent bytes may wait to be read before its connection is dropped. */
  drainMs: number;
  /** No more events will be written (cut, ended, or the client went away). */
  closed: (w: Watcher) => void;
  /** A closed watcher holds no unsent bytes any more (read, dropped, or the client went away). */
  released: (w: Watcher) => void;
  /** Counted by every watcher of the hub (its /metrics). */
  counts: WatcherCounts;
  /** The bytes all the hub's watchers hold, for its total bound. */
  held: HeldBytes;
}

export interface WatcherCounts {
  /** Writes of record events to a stream: one per feed that had something new for the watcher. */
  eventWrites: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The most bytes handed to the stream's consumer at once: larger writes (a feed of many records, a
 * backlog) go in pieces of this size, each when the last was written. A feed of a few changes goes
 * whole, as one write.
 */
export const HANDOFF_BYTES = 64 * 1024;

const encoder = new TextEncoder();
/** A reconnecting EventSource waits this long (the SSE `retry:` field, sent first). */
const RETRY_MS = 1_000;

export class Watcher {
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private closed = false;
  private released = false;
  /** The stream was closed or errored: nothing more is handed to its consumer. */
  private streamDone = false;
  /** Chunks written to this watcher and not yet handed (whole) to the stream's consumer, oldest first. */
  private pending: Uint8Array[] = [];
  /** Bytes of pending[0] handed already (a chunk larger than HANDOFF_BYTES goes in pieces). */
  private headHanded = 0;
  /** Bytes of `pending` not yet handed. */
  private pendingBytes = 0;
  /** Bytes of the last chunk handed to the consumer; written once it asks for the next. */
  private inFlight = 0;
  /** The consumer asked for more and was handed nothing yet: all sent was written. */
  private waiting = false;
  /** Bytes ever queued for the client (handed at once or not), and ever written by the consumer. */
  private queuedEver = 0;
  private writtenEver = 0;
  /** queuedEver and writtenEver at the hub's last check of its total bound (markChecked). */
  private queuedAtCheck = 0;
  private writtenAtCheck = 0;
  /** Called once when the watcher is dropped: the response's connection is closed at once. */
  private onDrop: (() => void) | null = null;
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  /** Events that arrived while a snapshot event was being written; they follow it. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private pumping = false;
  /** Wakes the snapshot pump once the client has read everything sent. */
  private drained: (() => void) | null = null;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(
    /** The offset this watcher has every record up to; null until its first answer. */
    public offset: number | null,
    private readonly terms: WatcherTerms,
  ) {
    // highWaterMark 0: pull is called when the consumer reads and its queue is empty, which it
    // always is (a chunk is enqueued only into a pending read).
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          this.write(sseRetry(RETRY_MS));
        },
        pull: () => this.pull(),
        cancel: () => this.gone(),
      },
      { highWaterMark: 0 },
    );
  }

  /** `close` ends the response's connection at once; called when the watcher is dropped. */
  onDropped(close: () => void): void {
    this.onDrop = close;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes written that the client has not read yet: queued, handed and not yet written, held. */
  unsent(): number {
    return this.queued() + this.heldBytes;
  }

  /** Bytes queued here or handed to the stream's consumer and not yet written by it. */
  private queued(): number {
    return this.pendingBytes + this.inFlight;
  }

  /**
   * True if the client left bytes unread since the hub's last check and its consumer wrote nothing
   * since: only such a watcher may be cut for the total bound. Right after a feed every watcher at
   * an offset holds the same new bytes, a reading one as much as a stalled one (Bun writes them a
   * chunk at a time, as the client reads); what tells them apart is whether the bytes that waited
   * at the last check are being written. A client that reads is never judged by a feed's fresh bytes.
   */
  stalled(): boolean {
    return this.writtenEver === this.writtenAtCheck && this.queuedAtCheck > this.writtenEver;
  }

  /** Bytes the consumer has written, ever: among stalled watchers as far behind, the one that wrote least is cut first. */
  get written(): number {
    return this.writtenEver;
  }

  /** The hub checked its total bound: stalled() compares with this point from now on. */
  markChecked(): void {
    this.queuedAtCheck = this.queuedEver;
    this.writtenAtCheck = this.writtenEver;
  }

  /**
   * What dropping this watcher would free of the hub's total, given that the watchers counted in
   * `taken` (chunk → how many of their queues hold it) are dropped too; adds this one to `taken`.
   */
  freedWith(taken: Map<Uint8Array, number>): number {
    let freed = this.inFlight + this.heldBytes;
    for (const chunk of this.pending) {
      const n = (taken.get(chunk) ?? 0) + 1;
      taken.set(chunk, n);
      if (n === this.terms.held.holdersOf(chunk)) freed += chunk.byteLength;
    }
    return freed;
  }

  /**
   * Sends what `answer` holds past this watcher's offset; false once the watcher was cut. A
   * snapshot answer needs `pumping`: its event is written in slices after this returns.
   */
  deliver(answer: MetadataAnswer, pumping?: SnapshotPumping): boolean {
    if (this.closed) return false;
    const from = this.offset;
    // The check's message is built only when it fails: deliver runs once per watcher per feed.
    if (from !== null && answer.offset < from) invariant(false, () => `a watcher at offset ${from} was handed an answer at ${answer.offset}`);
    if (this.unsent() > this.terms.maxBufferBytes) {
      this.cut(`more than ${this.terms.maxBufferBytes} bytes of events waited unsent: the watcher reads too slowly`);
      return false;
    }
    if (answer.mode === "snapshot") {
      if (this.pumping || pumping === undefined) {
        this.cut("the watcher fell behind the log while its snapshot was sent; reconnect with Last-Event-ID");
        return false;
      }
      void this.pump(answer, pumping);
    } else {
      const bytes = diffEvents(answer);
      if (this.pumping) {
        this.held.push(bytes);
        this.heldBytes += bytes.byteLength;
        this.terms.held.own += bytes.byteLength;
      } else if (bytes.byteLength > 0) {
        this.terms.counts.eventWrites++;
        this.enqueue(bytes);
      }
    }
    this.offset = answer.offset;
    return true;
  }

  /** Bytes shared by every watcher (a heartbeat comment); dropped by a closed watcher. */
  send(bytes: Uint8Array): void {
    if (!this.closed) this.enqueue(bytes);
  }

  /** Ends the stream with a last event saying why. */
  end(event: string, error: string, message: string): void {
    if (this.closed) return;
    this.write(sseEvent({ event, data: { error, message } }));
    this.finish();
  }

  cut(message: string): void {
    this.end("cut", "slow_watcher", message);
  }

  /** Drops a closed watcher's connection with what it still holds unsent, freeing the bytes at once. */
  drop(): void {
    if (!this.closed || this.released) return;
    const close = this.onDrop;
    this.onDrop = null;
    close?.();
    this.discard();
    if (!this.streamDone) {
      this.streamDone = true;
      try {
        this.controller?.error(new Error("the watcher was cut and did not read what waited for it"));
      } catch {
        // the client went away meanwhile
      }
    }
    this.release();
  }

  /** Writes the snapshot event slice by slice, each after the client read the last, then what was held. */
  private async pump(answer: Extract<MetadataAnswer, { mode: "snapshot" }>, { sliceRecords, stallMs, done }: SnapshotPumping): Promise<void> {
    this.pumping = true;
    const slices = new AnswerStream(answer, "json");
    try {
      this.write(`event: snapshot\nid: ${answer.offset}\ndata: `);
      for (let bytes = slices.next(sliceRecords); bytes !== null && !this.closed; bytes = slices.next(sliceRecords)) {
        if (bytes.length === 0) {
          await turn(); // a slice that only sorted
          continue;
        }
        this.enqueue(bytes);
        if (!(await this.readWithin(stallMs))) {
          // Mid-event no other event can be framed; a stream ending inside an event drops it
          // (WHATWG event-stream), so the client reconnects with its Last-Event-ID.
          this.finish();
          return;
        }
      }
      // The event's end and every record held behind it go out as one write, as a feed's do.
      if (this.held.length > 0) this.terms.counts.eventWrites++;
      this.enqueue(Buffer.concat([encoder.encode("\n\n"), ...this.held], 2 + this.heldBytes));
    } catch {
      this.finish(); // a bug in the encoder: the partial event is dropped, as above
    } finally {
      this.terms.held.own -= this.heldBytes;
      this.held = [];
      this.heldBytes = 0;
      this.pumping = false;
      done();
    }
  }

  /** True once all sent was read (or the watcher closed), false after `ms` without that. */
  private async readWithin(ms: number): Promise<boolean> {
    await turn();
    if (this.queued() === 0 || this.closed) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.drained = null;
        resolve(false);
      }, ms);
      this.drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private wake(): void {
    const drained = this.drained;
    this.drained = null;
    drained?.();
  }

  private write(text: string): void {
    this.enqueue(encoder.encode(text));
  }

  /** Queues `bytes` for the client, handing them over at once if the consumer waits for them. */
  private enqueue(bytes: Uint8Array): void {
    if (this.closed || this.streamDone || bytes.byteLength === 0) return;
    this.queuedEver += bytes.byteLength;
    if (this.waiting && bytes.byteLength <= HANDOFF_BYTES) return this.hand(bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    this.terms.held.hold(bytes);
    if (this.waiting) this.handNext();
  }

  /**
   * The consumer asks for more, so it wrote what it was handed: the next queued piece, or, with
   * nothing queued, the end of a closed watcher's stream or a wait for the next write.
   */
  private pull(): void {
    this.writtenEver += this.inFlight;
    this.terms.held.own -= this.inFlight;
    this.inFlight = 0;
    if (this.streamDone) return;
    if (this.pendingBytes > 0) return this.handNext();
    this.waiting = true;
    if (this.closed) {
      this.closeStream();
      this.release();
    }
    this.wake();
  }

  /** Hands the consumer the oldest queued bytes, at most HANDOFF_BYTES of them (a view, no copy). */
  private handNext(): void {
    const head = this.pending[0];
    const from = this.headHanded;
    const to = Math.min(head.byteLength, from + HANDOFF_BYTES);
    if (to === head.byteLength) {
      this.pending.shift();
      this.headHanded = 0;
      this.terms.held.letGo(head);
    } else {
      this.headHanded = to;
    }
    this.pendingBytes -= to - from;
    this.hand(from === 0 && to === head.byteLength ? head : head.subarray(from, to));
  }

  private hand(chunk: Uint8Array): void {
    this.waiting = false;
    this.inFlight = chunk.byteLength;
    this.terms.held.own += chunk.byteLength;
    try {
      this.controller?.enqueue(chunk);
    } catch {
      this.gone(); // the client went away while we wrote
    }
  }

  private closeStream(): void {
    if (this.streamDone) return;
    this.streamDone = true;
    try {
      this.controller?.close();
    } catch {
      // already closed or errored by the client's disconnect
    }
  }

  /** Frees what waits unsent. */
  private discard(): void {
    for (const chunk of this.pending) this.terms.held.letGo(chunk);
    this.pending = [];
    this.headHanded = 0;
    this.pendingBytes = 0;
    this.terms.held.own -= this.inFlight;
    this.inFlight = 0;
  }

  /** The client went away: nothing more is sent, and nothing it left unread is held. */
  private gone(): void {
    this.streamDone = true;
    this.onDrop = null;
    this.discard();
    this.finish();
    this.release();
  }

  /**
   * No more events; the bytes already written wait up to drainMs for the client to read them, and
   * the stream ends once they were written.
   */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (this.waiting) this.closeStream();
    this.terms.closed(this);
    if (this.unsent() === 0) return this.release();
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      if (this.unsent() > 0) this.drop();
      else this.release();
    }, this.terms.drainMs);
    // A draining client does not keep a stopping process alive.
    (this.drainTimer as { unref?: () => void }).unref?.();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.terms.released(this);
  }
}

/** Watchers at the same offset get the same answer object (watch-hub.ts): encode it once. */
const encoded = new WeakMap<MetadataAnswer, Uint8Array>();

function diffEvents(answer: Extract<MetadataAnswer, { mode: "diff" }>): Uint8Array {
  let bytes = encoded.get(answer);
  if (bytes === undefined) {
    bytes = encoder.encode(recordEvents(answer.records));
    encoded.set(answer, bytes);
  }
  return bytes;
}

function recordEvents(records: readonly MetadataRecord[]): string {
  return records.map((r) => sseEvent({ event: "record", id: r.offset, data: r })).join("");
}
