// A minimal HTTP/1.1 client on one kept-alive TCP connection, one request at a time, for the broker
// fleet (broker-fleet.ts). A thousand simulated brokers share this process's one thread with the
// writers, and Bun's fetch costs each poll a Request, Headers, an AbortSignal timer and a promise
// chain (about half of the generator's CPU under --cpu-prof): here a poll is a string written to
// a socket and the answer is cut out of the bytes that come back. It speaks just what the fleet
// needs: a status, Content-Length or chunked bodies, and the Retry-After header. A connection may
// be given a body reader: a 200 answer's body is then handed to it where it lies in the socket's
// bytes, never decoded to a string (the fleet scans its answers' offsets so: broker-polls.ts). A
// request pending when the connection closes, or when abort() is called (a timeout), fails with
// an Error.
import type { Socket } from "bun";

export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Map<string, string>;
  /** Decoded as UTF-8 while the bytes are still the socket's; empty when a body reader took the answer (`read`). */
  body: string;
  /** What the connection's body reader made of a 200 answer's body; undefined with no reader or another status. */
  read: unknown;
  /** The server named `Connection: close`: it closes the connection after this answer. */
  closes: boolean;
}

/**
 * Reads a 200 answer's body, `bytes` from `start` to `end`, while they are the socket's (valid only
 * during the call); its result is the answer's `read`. It should not throw: a throw is taken as a
 * malformed answer and drops the connection.
 */
export type BodyReader = (bytes: Buffer, start: number, end: number) => unknown;

interface Pending {
  resolve: (res: RawResponse) => void;
  reject: (error: Error) => void;
}

/** An answer's head is refused past this size (the fleet's are a few hundred bytes). */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

export class KeepAliveConnection {
  private socket: Socket<undefined> | null = null;
  private connecting: Promise<Socket<undefined>> | null = null;
  private pending: Pending | null = null;
  /** The chunks of an answer still incomplete, their bytes, and (once its head named a length) the bytes it needs. */
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private needBytes = 0;
  /** Request bytes the socket did not take yet (written on drain). */
  private unsent: Buffer | null = null;
  /** When the pending request was written (performance.now()), for the caller's timeout sweep. */
  sentAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly hostname: string,
    private readonly port: number,
    private readonly readBody: BodyReader | null = null,
  ) {}

  /** Sends `head` + `body` (head ends with the blank line) and resolves with the whole answer. */
  request(head: string, body: string): Promise<RawResponse> {
    if (this.pending !== null) return Promise.reject(new Error("a request is already pending on this connection"));
    let pending: Pending | undefined;
    const answered = new Promise<RawResponse>((resolve, reject) => {
      pending = { resolve, reject };
    });
    const mine = pending as Pending;
    this.pending = mine;
    this.sentAt = performance.now();
    const text = head + body;
    if (this.socket !== null) this.write(mine, this.socket, text);
    else
      this.connect().then(
        (socket) => this.write(mine, socket, text),
        (error: Error) => this.pending === mine && this.fail(new Error(`could not connect: ${error.message}`)),
      );
    return answered;
  }

  /** Fails the pending request (if any) and closes the connection; the next request dials again. */
  abort(reason: string): void {
    this.fail(new Error(reason));
    this.socket?.end();
    this.socket = null;
  }

  private connect(): Promise<Socket<undefined>> {
    this.connecting ??= Bun.connect({
      hostname: this.hostname,
      port: this.port,
      socket: {
        // An aborted socket's late bytes and close belong to a request already failed, not the next.
        data: (socket, chunk) => {
          if (socket === this.socket) this.onData(chunk);
        },
        drain: (socket) => {
          if (socket === this.socket) this.onDrain(socket);
        },
        close: (socket) => this.onClose(socket, "the connection closed"),
        error: (socket, error) => this.onClose(socket, `the connection failed: ${error.message}`),
      },
    }).then(
      (socket) => {
        this.connecting = null;
        this.socket = socket;
        socket.setNoDelay(true);
        return socket;
      },
      (error: Error) => {
        this.connecting = null;
        throw error;
      },
    );
    return this.connecting;
  }

  /** Writes the request as a string (no Buffer per poll); only a partial write keeps its bytes. */
  private write(request: Pending, socket: Socket<undefined>, text: string): void {
    if (this.pending !== request) return; // aborted while it dialed
    const written = socket.write(text);
    if (written === text.length && written === Buffer.byteLength(text)) return;
    const bytes = Buffer.from(text);
    if (written < bytes.length) this.unsent = bytes.subarray(Math.max(0, written));
  }

  private onDrain(socket: Socket<undefined>): void {
    if (this.unsent === null) return;
    const written = socket.write(this.unsent);
    this.unsent = written < this.unsent.length ? this.unsent.subarray(Math.max(0, written)) : null;
  }

  private onClose(socket: Socket<undefined>, why: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.fail(new Error(why));
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    this.forgetReceived();
    this.unsent = null;
    this.sentAt = Number.POSITIVE_INFINITY;
    pending?.reject(error);
  }

  private onData(chunk: Buffer): void {
    // An answer nearly always comes in one chunk: parse it where it lies. A larger one (a
    // snapshot) is kept as a list of copied chunks and joined once, when its declared length is
    // in, instead of joined and parsed again at every chunk.
    if (this.received.length > 0 || this.needBytes > 0) {
      this.received.push(Buffer.from(chunk));
      this.receivedBytes += chunk.length;
      if (this.receivedBytes < this.needBytes) return;
    }
    const bytes = this.received.length === 0 ? chunk : Buffer.concat(this.received, this.receivedBytes);
    let parsed: { response: RawResponse; used: number } | null;
    try {
      parsed = parseResponse(bytes, this.readBody);
    } catch (error) {
      return this.abort(`a malformed answer: ${(error as Error).message}`);
    }
    if (parsed === null) {
      this.received = [bytes === chunk ? Buffer.from(chunk) : bytes];
      this.receivedBytes = bytes.length;
      this.needBytes = declaredEnd(bytes) ?? 0;
      return;
    }
    if (this.pending === null) return this.abort("an answer came with no request pending");
    if (parsed.used !== bytes.length) return this.abort("bytes came after the answer with no request pending");
    const { resolve } = this.pending;
    this.pending = null;
    this.forgetReceived();
    this.sentAt = Number.POSITIVE_INFINITY;
    if (parsed.response.closes) this.abort("the server closed the connection");
    resolve(parsed.response);
  }

  private forgetReceived(): void {
    this.received = [];
    this.receivedBytes = 0;
    this.needBytes = 0;
  }
}

/**
 * An answer's head, read lazily: the fleet needs only the status and the body on each answer, so
 * the header map (Retry-After of a refusal, the tests) is built only when asked for.
 */
class AnswerHead {
  private map: Map<string, string> | null = null;

  constructor(private readonly head: string) {}

  /** Header names lower-cased. */
  get headers(): Map<string, string> {
    if (this.map !== null) return this.map;
    const headers = new Map<string, string>();
    for (let at = this.head.indexOf("\r\n"); at >= 0; ) {
      const next = this.head.indexOf("\r\n", at + 2);
      const line = this.head.slice(at + 2, next < 0 ? undefined : next);
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      at = next;
    }
    this.map = headers;
    return headers;
  }
}

/** A parsed answer: status and body, with the head's headers read when first asked for. */
class Answer implements RawResponse {
  constructor(
    readonly status: number,
    private readonly head: AnswerHead,
    readonly body: string,
    readonly closes: boolean,
    readonly read: unknown = undefined,
  ) {}

  get headers(): Map<string, string> {
    return this.head.headers;
  }
}

/**
 * The value of header `name` (lower-case, with its colon) in `lower` (the head lower-cased), or
 * undefined. A header named twice gives its first value.
 */
function headerIn(lower: string, name: string): string | undefined {
  const at = lower.indexOf(name);
  if (at < 0) return undefined;
  const end = lower.indexOf("\r\n", at + name.length);
  return lower.slice(at + name.length, end < 0 ? undefined : end).trim();
}

/** Throws unless every line after the status line has a header name and a colon (no slices made). */
function checkHeaderLines(head: string): void {
  for (let at = head.indexOf("\r\n"); at >= 0; ) {
    const next = head.indexOf("\r\n", at + 2);
    const colon = head.indexOf(":", at + 2);
    if (colon <= at + 2 || (next >= 0 && colon > next)) {
      throw new Error(`a header line of ${JSON.stringify(head.slice(at + 2, next < 0 ? undefined : next).slice(0, 40))}`);
    }
    at = next;
  }
}

/** The bytes the answer at the start of `bytes` takes in all, once its head is in and names a Content-Length; else null. */
export function declaredEnd(bytes: Buffer): number | null {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const lower = bytes.toString("latin1", 0, headEnd).toLowerCase();
  if (headerIn(lower, "\r\ntransfer-encoding:") !== undefined) return null;
  const length = headerIn(lower, "\r\ncontent-length:");
  return length !== undefined && /^\d{1,12}$/.test(length) ? headEnd + HEAD_END.length + Number(length) : null;
}

/**
 * One whole response at the start of `bytes` and how many bytes it took, or null while it is
 * incomplete. The head is read with a few native searches over its lower-cased text (no map of
 * headers, no slice per line: the fleet parses tens of thousands of answers a second).
 */
export function parseResponse(bytes: Buffer, readBody: BodyReader | null = null): { response: RawResponse; used: number } | null {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) {
    if (bytes.length > MAX_HEAD_BYTES) throw new Error(`no end of the head within ${MAX_HEAD_BYTES} bytes`);
    return null;
  }
  const head = bytes.toString("latin1", 0, headEnd);
  const status = statusOf(head);
  checkHeaderLines(head);
  const lower = head.toLowerCase();
  const start = headEnd + HEAD_END.length;
  const lazy = new AnswerHead(head);
  const closes = headerIn(lower, "\r\nconnection:") === "close";
  const reader = status === 200 ? readBody : null;
  if (headerIn(lower, "\r\ntransfer-encoding:") === "chunked") {
    const body = chunked(bytes, start);
    if (body === null) return null;
    const response = reader === null ? new Answer(status, lazy, body.body.toString("utf8"), closes) : new Answer(status, lazy, "", closes, reader(body.body, 0, body.body.length));
    return { response, used: body.end };
  }
  const end = start + sizeOf(headerIn(lower, "\r\ncontent-length:"));
  if (bytes.length < end) return null;
  const response = reader === null ? new Answer(status, lazy, bytes.toString("utf8", start, end), closes) : new Answer(status, lazy, "", closes, reader(bytes, start, end));
  return { response, used: end };
}

/** The status code of a head's first line (`HTTP/1.x NNN`), read by character codes. */
function statusOf(head: string): number {
  const digit = (i: number) => head.charCodeAt(i) - 48;
  const ok = head.startsWith("HTTP/1.") && (head[7] === "0" || head[7] === "1") && head[8] === " " && [9, 10, 11].every((i) => digit(i) >= 0 && digit(i) <= 9);
  if (!ok || (head.length > 12 && head[12] !== " " && head[12] !== "\r")) {
    const line = head.slice(0, Math.max(0, head.indexOf("\r\n")) || head.length);
    throw new Error(`a status line of ${JSON.stringify(line.slice(0, 40))}`);
  }
  return digit(9) * 100 + digit(10) * 10 + digit(11);
}

function sizeOf(length: string | undefined): number {
  if (length === undefined || !/^\d{1,12}$/.test(length)) throw new Error(`a body of no usable length (content-length ${JSON.stringify(length)})`);
  return Number(length);
}

/** A chunked body: hex size, CRLF, data, CRLF … up to the zero-sized chunk (no trailers expected). */
function chunked(bytes: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd < 0) return null;
    const sizeText = bytes.toString("latin1", at, lineEnd).split(";")[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error(`a chunk size of ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = Number.parseInt(sizeText, 16);
    const dataEnd = lineEnd + CRLF.length + size;
    if (bytes.length < dataEnd + CRLF.length) return null;
    if (size === 0) return { body: Buffer.concat(parts), end: dataEnd + CRLF.length };
    parts.push(bytes.subarray(lineEnd + CRLF.length, dataEnd));
    at = dataEnd + CRLF.length;
  }
}
