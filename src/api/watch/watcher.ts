// One client of GET /v1/watch: its stream, the offset it has got to, and the bound on what may wait
// unsent for it. A watcher whose unsent bytes pass the bound is cut with a `cut` event (it resumes
// with Last-Event-ID, and gets a snapshot if it fell behind what the log still holds). A cut or
// ended watcher's bytes still wait for the client to read them: past drainMs (or when the hub
// needs the memory: watch-hub.ts) the connection is dropped and they are freed. A snapshot
// event is never built whole: it is written from its frozen view in slices (answer-stream.ts),
// each once the client has read the last, and records committed meanwhile wait behind it; a client
// that leaves a slice unread for stallMs has its stream ended (the partial event is dropped).
// Record events are encoded once per answer and the same bytes go to every watcher it reaches.
import { AnswerStream } from "../../metadata/answer-stream.ts";
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
}

export interface WatcherCounts {
  /** Writes of record events to a stream: one per feed that had something new for the watcher. */
  eventWrites: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const encoder = new TextEncoder();
/** A reconnecting EventSource waits this long (the SSE `retry:` field, sent first). */
const RETRY_MS = 1_000;

export class Watcher {
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private closed = false;
  private released = false;
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
    // highWaterMark 0 with a byte size: desiredSize is minus the bytes still waiting to be sent.
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          this.write(sseRetry(RETRY_MS));
        },
        // Called when the client waits for data and none is queued: all sent was read.
        pull: () => this.wake(),
        cancel: () => this.gone(),
      },
      { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 },
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes written that the client has not read yet (held events included). */
  unsent(): number {
    return this.queued() + this.heldBytes;
  }

  /** Bytes in the stream's queue, not yet taken by the client. */
  private queued(): number {
    const desired = this.released ? 0 : (this.controller?.desiredSize ?? 0);
    return desired === null ? 0 : Math.max(0, -desired);
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
    try {
      this.controller?.error(new Error("the watcher was cut and did not read what waited for it"));
    } catch {
      // the client went away meanwhile
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

  private enqueue(bytes: Uint8Array): void {
    try {
      this.controller?.enqueue(bytes);
    } catch {
      this.gone(); // the client went away while we wrote
    }
  }

  /** The client went away: nothing more is sent, and nothing it left unread is held. */
  private gone(): void {
    this.finish();
    this.release();
  }

  /** No more events; the bytes already written wait up to drainMs for the client to read them. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    try {
      this.controller?.close();
    } catch {
      // already closed or errored by the client's disconnect
    }
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
