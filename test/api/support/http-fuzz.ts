// Raw HTTP/1.1 requests over node:net for the socket-level tests: one connection per request,
// the answer read until its declared length or the close, and how the connection ended. Used to
// count answers lost to a reset (no status line) under many odd requests.
import net from "node:net";

export interface RawAnswer {
  /** The status code, or 0 when no status line arrived. */
  status: number;
  head: string;
  body: string;
  /** How the connection ended: a complete answer, the server's close, a reset, or our bound. */
  ending: "answered" | "closed" | "reset" | "timeout";
}

const HEAD_END = "\r\n\r\n";

/** `headOnly`: the answer to a HEAD request, complete at the end of its header. */
function parse(raw: string, headOnly = false): { status: number; head: string; body: string; complete: boolean } {
  const end = raw.indexOf(HEAD_END);
  const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  const status = statusMatch ? Number(statusMatch[1]) : 0;
  if (end < 0) return { status, head: raw, body: "", complete: false };
  const head = raw.slice(0, end);
  const body = raw.slice(end + HEAD_END.length);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  const complete = headOnly || status === 204 || status === 304 ? true : length !== null ? Buffer.byteLength(body, "latin1") >= Number(length[1]) : false;
  return { status, head, body, complete };
}

export interface RawOptions {
  /** Milliseconds between the pieces: a body sent after the server may already have answered. */
  gapMs?: number;
  /**
   * Read nothing until every piece is written and this many milliseconds more, as a client that
   * sends its whole request before it reads; undefined reads at once.
   */
  readAfterMs?: number;
}

/** Writes `request` piece by piece and reads one answer, within `boundMs`. */
export function rawRequest(port: number, request: (string | Buffer)[], boundMs = 5000, { gapMs = 0, readAfterMs }: RawOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let raw = "";
    let settled = false;
    const headOnly = String(request[0] ?? "").startsWith("HEAD ");
    const finish = (ending: RawAnswer["ending"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { status, head, body } = parse(raw);
      resolve({ status, head, body, ending });
    };
    const timer = setTimeout(() => finish("timeout"), boundMs);
    if (readAfterMs !== undefined) socket.pause();
    socket.on("data", (chunk) => {
      raw += chunk.toString("latin1");
      if (parse(raw, headOnly).complete) finish("answered");
    });
    // A write into a connection the server has reset fails with EPIPE: the client gives up there.
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code === "ECONNRESET" || error.code === "EPIPE" ? "reset" : "closed"));
    socket.on("close", () => finish("closed"));
    socket.on("connect", async () => {
      for (const [i, piece] of request.entries()) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (settled || socket.destroyed) return;
        socket.write(piece);
      }
      if (readAfterMs === undefined) return;
      await new Promise((r) => setTimeout(r, readAfterMs));
      socket.resume();
    });
  });
}

/** A chunked body: each piece as one chunk, then the last (empty) chunk. */
export function chunked(...pieces: string[]): string {
  return `${pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("")}0\r\n\r\n`;
}
