// A minimal reader of one Server-Sent Events stream (GET /v1/watch) on a raw TCP socket, for the
// watching broker fleet (broker-watches.ts). A thousand simulated brokers share the generator's
// cores with the cluster, so each event costs the reader what it must and no more: no fetch, no
// TextDecoder, no copy of the socket's bytes and no string per line. The chunked body and the
// event lines are read where they lie in each chunk the socket hands over (one scan for each line
// end); an event's type is matched against the known ones by its bytes and its id read digit by
// digit, and only a line cut by a chunk's end is kept (copied) until its rest comes. Record and
// snapshot events hand over no data (the fleet needs their offsets only, and their data lines
// are skipped unread); other events (cut, shutdown) hand over their data line as text.
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
/** A line kept across chunks bigger than this is refused (only the data of cut and shutdown events are kept, a few hundred bytes). */
const MAX_LINE_BYTES = 1024 * 1024;
/** A chunk-size line longer than this is refused (8 hex digits and CRLF). */
const MAX_SIZE_LINE_BYTES = 16;
const CR = 13;
const LF = 10;
const COLON = 0x3a;
const E = 0x65;
const I = 0x69;
const D = 0x64;
const R = 0x72;

/** Where a line of the event stream stands. */
const AT_LINE_START = 0;
/** In a line whose content is not needed (a record's or snapshot's data, a comment, retry): its end is looked for. */
const SKIPPING = 1;
/** In a line cut by a chunk's end whose content is needed: its bytes so far are kept. */
const KEEPING = 2;

/** Event types the fleet tells apart, matched by their bytes after `event: `; others are read as text. */
const KNOWN_TYPES = ["record", "snapshot"].map((type) => ({ type, bytes: Buffer.from(type) }));

export class SseStream {
  private socket: Socket<undefined> | null = null;
  private ended = false;
  /** Bytes of the answer's head not yet whole, or of a chunk-size line cut by a read's end. */
  private raw: Buffer | null = null;
  private inBody = false;
  /** Bytes left of the current chunk's data; -1 between chunks (a size line is due), -2 when its CRLF is due. */
  private chunkLeft = -1;
  private lineState = AT_LINE_START;
  /** The start of a needed line cut by a chunk's end (KEEPING), copied off the socket's buffer. */
  private kept: Buffer[] = [];
  private keptBytes = 0;
  /** The event being read: its type, its id, whether a data line came, and that line (other types only). */
  private type = "message";
  private id = -1;
  private hasData = false;
  private data: string | null = null;

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
    let bytes = chunk;
    if (this.raw !== null) {
      bytes = Buffer.concat([this.raw, chunk]);
      this.raw = null;
    }
    try {
      let at = 0;
      if (!this.inBody) {
        at = this.head(bytes);
        if (at < 0) return;
      }
      this.body(bytes, at, now);
    } catch (error) {
      this.finish(`a malformed stream: ${(error as Error).message}`, null);
    }
  }

  /** Reads the answer's head; where the body starts, or -1 while the head is incomplete (or refused). */
  private head(bytes: Buffer): number {
    const end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw new Error(`no end of the head within ${MAX_HEAD_BYTES} bytes`);
      this.raw = Buffer.from(bytes);
      return -1;
    }
    const head = bytes.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    if (status !== 200) {
      const retry = /\r\nretry-after: *(\d+)/i.exec(head);
      this.finish(`${status} ${bytes.toString("utf8", end + 4, end + 104)}`, retry ? Number(retry[1]) * 1000 : null);
      return -1;
    }
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) throw new Error("a stream without a chunked body");
    this.inBody = true;
    return end + 4;
  }

  /** Takes the chunked framing off `bytes` from `at` and reads the event lines of each chunk in place. */
  private body(bytes: Buffer, at: number, now: number): void {
    while (at < bytes.length && !this.ended) {
      if (this.chunkLeft > 0) {
        const end = Math.min(at + this.chunkLeft, bytes.length);
        this.lines(bytes, at, end, now);
        this.chunkLeft -= end - at;
        at = end;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
      } else if (this.chunkLeft === -2) {
        if (bytes.length - at < 2) break;
        if (bytes[at] !== CR || bytes[at + 1] !== LF) throw new Error("a chunk not ended by CRLF");
        at += 2;
        this.chunkLeft = -1;
      } else {
        const lineEnd = bytes.indexOf(LF, at);
        if (lineEnd < 0) {
          if (bytes.length - at > MAX_SIZE_LINE_BYTES) throw new Error("a chunk-size line past 16 bytes");
          break;
        }
        const size = hexAt(bytes, at, lineEnd);
        at = lineEnd + 1;
        if (size === 0) return this.finish("the server ended the stream", null);
        this.chunkLeft = size;
      }
    }
    // A chunk-size line or chunk end cut by the read's end waits for the rest (a few bytes).
    if (at < bytes.length && !this.ended) this.raw = Buffer.from(bytes.subarray(at));
  }

  /** The event-stream bytes `from`..`to` of `bytes`: each line ended in them is read where it lies. */
  private lines(bytes: Buffer, from: number, to: number, now: number): void {
    let at = from;
    while (at < to) {
      // A line end past `to` is the chunk framing's CRLF: the line goes on in the next chunk.
      let lineEnd = bytes.indexOf(LF, at);
      if (lineEnd >= to) lineEnd = -1;
      if (this.lineState === SKIPPING) {
        if (lineEnd < 0) return;
        this.lineState = AT_LINE_START;
      } else if (this.lineState === KEEPING) {
        this.keep(bytes, at, lineEnd < 0 ? to : lineEnd);
        if (lineEnd < 0) return;
        const line = Buffer.concat(this.kept, this.keptBytes);
        this.kept = [];
        this.keptBytes = 0;
        this.lineState = AT_LINE_START;
        this.line(line, 0, line.length, now);
      } else if (lineEnd < 0) {
        // A line cut by the chunk's end: skipped on if its content is not needed, else kept.
        if (this.skips(bytes[at])) this.lineState = SKIPPING;
        else {
          this.lineState = KEEPING;
          this.keep(bytes, at, to);
        }
        return;
      } else this.line(bytes, at, lineEnd, now);
      at = lineEnd + 1;
    }
  }

  /** True for a line whose content the fleet does not read: a comment, retry, or a record's or snapshot's data (whose line counts). */
  private skips(first: number): boolean {
    if (first === COLON || first === R) return true;
    if (first !== D || (this.type !== "record" && this.type !== "snapshot")) return false;
    this.hasData = true;
    return true;
  }

  private keep(bytes: Buffer, from: number, to: number): void {
    this.keptBytes += to - from;
    if (this.keptBytes > MAX_LINE_BYTES) throw new Error(`a line past ${MAX_LINE_BYTES} bytes`);
    this.kept.push(Buffer.from(bytes.subarray(from, to)));
  }

  /** One whole line, `start`..`end` (its LF excluded): a blank one ends the event; `event:`, `id:` and `data:` are read. */
  private line(bytes: Buffer, start: number, end: number, now: number): void {
    if (start === end) return this.dispatch(now);
    const first = bytes[start];
    if (first === E && startsWith(bytes, start, end, "event: ")) this.type = typeAt(bytes, start + 7, end);
    else if (first === I && startsWith(bytes, start, end, "id: ")) this.id = decimalAt(bytes, start + 4, end);
    else if (first === D && startsWith(bytes, start, end, "data: ")) {
      this.hasData = true;
      if (this.type !== "record" && this.type !== "snapshot") this.data = bytes.toString("utf8", start + 6, end);
    }
    // Comments (":") and retry are not read.
  }

  /** A blank line: the event read so far is handed over (one without data is none, as in EventSource). */
  private dispatch(now: number): void {
    if (this.hasData) this.handlers.event(this.type, this.id, this.data, now);
    this.type = "message";
    this.id = -1;
    this.hasData = false;
    this.data = null;
  }
}

function startsWith(bytes: Buffer, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** The event type at `start`..`end`: a known type's own string (no new one), else the text. */
function typeAt(bytes: Buffer, start: number, end: number): string {
  for (const known of KNOWN_TYPES) {
    if (end - start === known.bytes.length && bytes.compare(known.bytes, 0, known.bytes.length, start, end) === 0) return known.type;
  }
  return bytes.toString("latin1", start, end);
}

/** A non-negative decimal integer of 1–15 digits at `start`..`end`. */
function decimalAt(bytes: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) throw new Error(`an id of ${end - start} characters`);
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i] - 48;
    if (digit < 0 || digit > 9) throw new Error(`an id of ${JSON.stringify(bytes.toString("latin1", start, end))}`);
    value = value * 10 + digit;
  }
  return value;
}

/** A chunk size: 1–8 hex digits at `start`, then CRLF ending at `lineEnd` (its LF). */
function hexAt(bytes: Buffer, start: number, lineEnd: number): number {
  const end = lineEnd - 1;
  if (bytes[end] !== CR || end <= start || end - start > 8) throw new Error(`a chunk size of ${JSON.stringify(bytes.toString("latin1", start, Math.min(lineEnd, start + 20)))}`);
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i] | 0x20; // lower-case a hex letter; a digit keeps its code
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
    if (digit < 0) throw new Error(`a chunk size of ${JSON.stringify(bytes.toString("latin1", start, end))}`);
    value = value * 16 + digit;
  }
  return value;
}
