// A minimal reader of one Server-Sent Events stream (GET /v1/watch) on a raw TCP socket, for the
// watching broker fleet (broker-watches.ts). A thousand simulated brokers share the generator's
// cores with the cluster, so each event costs the reader what it must and no more: no fetch, no
// TextDecoder per chunk; the chunked body is cut out of the socket's bytes and each event's type
// and id are read from its first lines. Record and snapshot events hand over no data (the fleet
// needs their offsets only); other events (cut, shutdown) hand over their data line as text.
// It speaks what the watch route sends: a 200 with a chunked body, or an error answer with
// Content-Length. The stream ends (onEnd) when the server ends it, the connection drops or close()
// is called; the caller resumes with Last-Event-ID.
import type { Socket } from "bun";

export interface SseHandlers {
  /** An event: its type ("message" when it names none), its id (-1 when none), data only for other than record/snapshot. */
  event(type: string, id: number, data: string | null, arrivedAt: number): void;
  /** The stream is over: why, and the answer's Retry-After in ms when it was refused. */
  end(reason: string, retryAfterMs: number | null): void;
}

/** An answer's head is refused past this size (the route's are a few hundred bytes). */
const MAX_HEAD_BYTES = 16 * 1024;
/** An event bigger than this is refused (a snapshot of the benchmark's cluster is far smaller). */
const MAX_EVENT_BYTES = 256 * 1024 * 1024;
const CR = 13;
const LF = 10;
const EVENT_END = Buffer.from("\n\n");

export class SseStream {
  private socket: Socket<undefined> | null = null;
  private ended = false;
  /** Bytes of the answer not yet taken: a partial head or a partial chunk-size line. */
  private raw: Buffer = Buffer.alloc(0);
  private inBody = false;
  /** Bytes left of the current chunk's data; -1 between chunks (a size line is due), -2 when its CRLF is due. */
  private chunkLeft = -1;
  /** The body's bytes after the last whole event. */
  private pending: Buffer = Buffer.alloc(0);
  private scanFrom = 0;

  constructor(
    private readonly hostname: string,
    private readonly port: number,
    private readonly handlers: SseHandlers,
    private readonly now: () => number,
  ) {}

  /** Connects and asks for the stream; `lastEventId` resumes after that offset. */
  async open(path: string, lastEventId: number | null): Promise<void> {
    const socket = await Bun.connect({
      hostname: this.hostname,
      port: this.port,
      socket: {
        // A socket this stream gave up on has nothing more to say to it.
        data: (s, chunk) => {
          if (s === this.socket) this.onData(chunk);
        },
        close: (s) => {
          if (s === this.socket) this.finish("the connection closed", null);
        },
        error: (s, error) => {
          if (s === this.socket) this.finish(`the connection failed: ${error.message}`, null);
        },
      },
    });
    if (this.ended) {
      socket.end();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    const resume = lastEventId === null ? "" : `last-event-id: ${lastEventId}\r\n`;
    socket.write(`GET ${path} HTTP/1.1\r\nhost: ${this.hostname}:${this.port}\r\naccept: text/event-stream\r\n${resume}\r\n`);
  }

  /** Ends the stream from this side (end() is called once, with `reason`). */
  close(reason: string): void {
    this.finish(reason, null);
  }

  private finish(reason: string, retryAfterMs: number | null): void {
    if (this.ended) return;
    this.ended = true;
    const socket = this.socket;
    this.socket = null;
    socket?.end();
    this.handlers.end(reason, retryAfterMs);
  }

  private onData(chunk: Buffer): void {
    const now = this.now();
    let bytes = this.raw.length === 0 ? chunk : Buffer.concat([this.raw, chunk]);
    this.raw = Buffer.alloc(0);
    try {
      if (!this.inBody) {
        const rest = this.head(bytes);
        if (rest === null) return;
        bytes = rest;
      }
      this.body(bytes, now);
    } catch (error) {
      this.finish(`a malformed stream: ${(error as Error).message}`, null);
    }
  }

  /** Reads the answer's head; the bytes after it, or null while it is incomplete (or refused). */
  private head(bytes: Buffer): Buffer | null {
    const end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw new Error(`no end of the head within ${MAX_HEAD_BYTES} bytes`);
      this.raw = Buffer.from(bytes);
      return null;
    }
    const head = bytes.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    if (status !== 200) {
      const retry = /\r\nretry-after: *(\d+)/i.exec(head);
      this.finish(`${status} ${bytes.toString("utf8", end + 4, end + 104)}`, retry ? Number(retry[1]) * 1000 : null);
      return null;
    }
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) throw new Error("a stream without a chunked body");
    this.inBody = true;
    return bytes.subarray(end + 4);
  }

  /** Takes the chunked framing off `bytes` and scans what it carries for whole events. */
  private body(bytes: Buffer, now: number): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, bytes.length - at);
        this.payload(bytes.subarray(at, at + take), now);
        at += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
      } else if (this.chunkLeft === -2) {
        if (bytes.length - at < 2) break;
        if (bytes[at] !== CR || bytes[at + 1] !== LF) throw new Error("a chunk not ended by CRLF");
        at += 2;
        this.chunkLeft = -1;
      } else {
        const lineEnd = bytes.indexOf("\r\n", at);
        if (lineEnd < 0) break;
        const size = Number.parseInt(bytes.toString("latin1", at, lineEnd), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error(`a chunk size of ${bytes.toString("latin1", at, Math.min(lineEnd, at + 20))}`);
        at = lineEnd + 2;
        if (size === 0) return this.finish("the server ended the stream", null);
        this.chunkLeft = size;
      }
    }
    if (at < bytes.length) this.raw = Buffer.from(bytes.subarray(at));
  }

  /** Event-stream bytes: every whole event (ended by a blank line) is handed over. */
  private payload(bytes: Buffer, now: number): void {
    let text: Buffer;
    if (this.pending.length === 0) text = bytes;
    else {
      text = Buffer.concat([this.pending, bytes]);
      if (text.length > MAX_EVENT_BYTES) throw new Error(`an event past ${MAX_EVENT_BYTES} bytes`);
    }
    let start = 0;
    for (let end = text.indexOf(EVENT_END, this.scanFrom); end >= 0; end = text.indexOf(EVENT_END, start)) {
      this.event(text, start, end, now);
      start = end + 2;
    }
    // A partial event is kept (copied off the socket's buffer); the next scan starts near its end.
    this.pending = start === text.length ? Buffer.alloc(0) : Buffer.from(text.subarray(start));
    this.scanFrom = Math.max(0, this.pending.length - 1);
  }

  /** One event's lines: `event:` and `id:` lead, `data:` comes last; comments and retry are skipped. */
  private event(text: Buffer, start: number, end: number, now: number): void {
    let type = "message";
    let id = -1;
    for (let line = start; line < end; ) {
      const lineEnd = text.indexOf(LF, line);
      const stop = lineEnd < 0 || lineEnd > end ? end : lineEnd;
      const first = text[line];
      if (first === 0x65 /* e */ && text.toString("latin1", line, line + 7) === "event: ") type = text.toString("latin1", line + 7, stop);
      else if (first === 0x69 /* i */ && text.toString("latin1", line, line + 4) === "id: ") id = Number(text.toString("latin1", line + 4, stop));
      else if (first === 0x64 /* d */) {
        const data = type === "record" || type === "snapshot" ? null : text.toString("utf8", line + 6, end);
        return this.handlers.event(type, id, data, now);
      }
      line = stop + 1;
    }
  }
}
