// One client of GET /v1/watch: its stream, the offset it has got to, and the bound on what may wait
// unsent for it. A watcher whose unsent bytes pass the bound is cut with a `cut` event (it resumes
// with Last-Event-ID, and gets a snapshot if it fell behind what the log still holds).
import type { MetadataRecord } from "../../metadata/records.ts";
import type { MetadataAnswer } from "../../metadata/service-types.ts";
import { sseComment, sseEvent, sseRetry } from "./sse.ts";

const encoder = new TextEncoder();
/** A reconnecting EventSource waits this long (the SSE `retry:` field, sent first). */
const RETRY_MS = 1_000;

export class Watcher {
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private closed = false;
  /** Unsent bytes allowed beyond the bound: the largest snapshot event sent (it must go out whole). */
  private allowance = 0;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(
    /** The offset this watcher has every record up to; null until its first answer. */
    public offset: number | null,
    private readonly maxBufferBytes: number,
    private readonly onClose: (w: Watcher) => void,
  ) {
    // highWaterMark 0 with a byte size: desiredSize is minus the bytes still waiting to be sent.
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          this.write(sseRetry(RETRY_MS));
        },
        cancel: () => this.finish(),
      },
      { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 },
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends what `answer` holds past this watcher's offset; false once the watcher was cut. */
  deliver(answer: MetadataAnswer): boolean {
    if (this.closed) return false;
    if (this.unsent() > this.maxBufferBytes + this.allowance) {
      this.cut(`more than ${this.maxBufferBytes} bytes of events waited unsent: the watcher reads too slowly`);
      return false;
    }
    const text = eventsOf(answer);
    if (answer.mode === "snapshot") this.allowance = Math.max(this.allowance, text.length);
    if (text !== "") this.write(text);
    this.offset = answer.offset;
    return true;
  }

  comment(text: string): void {
    if (!this.closed) this.write(sseComment(text));
  }

  /** Ends the stream with a last event saying why. */
  end(event: string, error: string, message: string): void {
    if (this.closed) return;
    this.write(sseEvent({ event, data: { error, message } }));
    this.finish();
  }

  private cut(message: string): void {
    this.end("cut", "slow_watcher", message);
  }

  private unsent(): number {
    const desired = this.controller?.desiredSize ?? 0;
    return desired === null ? 0 : Math.max(0, -desired);
  }

  private write(text: string): void {
    try {
      this.controller?.enqueue(encoder.encode(text));
    } catch {
      this.finish(); // the client went away while we wrote
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.controller?.close();
    } catch {
      // already closed or errored by the client's disconnect
    }
    this.onClose(this);
  }
}

/** Watchers at the same offset get the same answer object (watch-hub.ts): encode it once. */
const encoded = new WeakMap<MetadataAnswer, string>();

/** A snapshot event, or every record as its own event with its entry's offset as id, as one text. */
function eventsOf(answer: MetadataAnswer): string {
  let text = encoded.get(answer);
  if (text === undefined) {
    text = answer.mode === "snapshot"
      ? sseEvent({ event: "snapshot", id: answer.offset, data: { offset: answer.offset, snapshot: answer.image.body() } })
      : recordEvents(answer.records);
    encoded.set(answer, text);
  }
  return text;
}

function recordEvents(records: readonly MetadataRecord[]): string {
  return records.map((r) => sseEvent({ event: "record", id: r.offset, data: r })).join("");
}
