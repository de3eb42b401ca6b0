// One operator connection: bytes in through the line reader, one command at a time through the
// runner, lines out through the bounded output queue, closed on quit, interrupt, idle or overflow.
import type { TimerId } from "../metadata/clock.ts";
import { runLine } from "./command-runner.ts";
import type { CommandContext } from "./command-types.ts";
import { ArgumentError, BusyError, type ConsoleError } from "./errors.ts";
import { LineReader } from "./line-reader.ts";
import { type ByteSink, OutputQueue } from "./output-queue.ts";
import { describeError, formatDuration, printable } from "./text.ts";

export interface SessionSocket extends ByteSink {
  /** Graceful close (FIN) once our queued output is out. */
  end(): void;
  /** Abrupt close, for a peer that does not read. */
  terminate(): void;
}

type Pending = { kind: "line"; text: string } | { kind: "error"; error: ConsoleError };

const encoder = new TextEncoder();

export class ConsoleSession {
  private readonly reader: LineReader;
  private readonly out: OutputQueue;
  private readonly pending: Pending[] = [];
  private running = false;
  /** The "typed ahead" error was shown for the current backlog; one notice per backlog is enough. */
  private backlogNoticeSent = false;
  /** The peer sent FIN (e.g. `echo status | nc -N`): answer what it sent, then close. */
  private inputEnded = false;
  private closing = false;
  private closed = false;
  private timer: TimerId | null = null;
  private reason = "peer_closed";

  constructor(
    private readonly socket: SessionSocket,
    private readonly ctx: CommandContext,
    private readonly onEnd: (reason: string) => void,
  ) {
    this.reader = new LineReader(ctx.limits.maxLineBytes);
    this.out = new OutputQueue(socket, ctx.limits.maxQueuedOutputBytes);
  }

  start(): void {
    const { nodeId, clusterId } = this.ctx.node;
    this.writeLines([`YAKt console: node ${nodeId} of cluster ${printable(clusterId)}. Type "help" for the commands.`]);
    this.prompt();
    this.armIdle();
  }

  receive(chunk: Uint8Array): void {
    if (this.closing) return;
    this.armIdle();
    let interrupted: string | null = null;
    for (const event of this.reader.push(chunk)) {
      if (event.type === "reply") this.send(event.bytes);
      else if (event.type === "interrupt") interrupted = event.cause;
      else if (event.type === "line") this.enqueue({ kind: "line", text: event.text });
      else this.enqueue({ kind: "error", error: new ArgumentError(`line longer than ${event.limit} bytes discarded`) });
    }
    // The goodbye goes after the replies to negotiation that followed the interrupt (see LineReader).
    // It starts on a fresh line: the terminal has just echoed "^C" after the prompt.
    if (interrupted) return this.finish(`interrupt_${interrupted}`, "", "bye");
    this.pump().catch((error: unknown) => {
      // runLine answers every failure itself; reaching here is a console bug, so cut this session only.
      this.ctx.log("console_error", { peer: this.ctx.session.peer, error: describeError(error) });
      this.reason = "internal_error";
      this.socket.terminate();
    });
  }

  /** The peer will send nothing more; the session closes once the commands it sent are answered. */
  endOfInput(): void {
    this.inputEnded = true;
    if (!this.running && this.pending.length === 0) this.finish("peer_ended");
  }

  drain(): void {
    this.out.drain();
    if (this.closing && !this.closed && this.out.pendingBytes === 0) this.socket.end();
  }

  /** The socket is gone (either side closed it). */
  closedBySocket(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.pending.length = 0;
    this.clearTimer();
    this.onEnd(this.reason);
  }

  /** The server is stopping: no waiting for a slow reader. */
  shutdown(): void {
    this.finish("server_stopping", "console is shutting down; bye");
    if (!this.closed && this.out.pendingBytes > 0) this.socket.terminate();
  }

  private enqueue(item: Pending): void {
    if (this.pending.length >= this.ctx.limits.maxPendingLines) {
      const max = this.ctx.limits.maxPendingLines;
      if (!this.backlogNoticeSent) {
        this.writeError(new BusyError(`more than ${max} commands typed ahead; lines dropped`));
      }
      this.backlogNoticeSent = true;
      return;
    }
    this.pending.push(item);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0 && !this.closing) {
        const item = this.pending.shift() as Pending;
        if (this.pending.length === 0) this.backlogNoticeSent = false;
        if (item.kind === "error") {
          this.writeError(item.error);
          this.prompt();
          continue;
        }
        const result = await runLine(item.text, this.ctx);
        if (this.closing) return;
        this.writeLines(result.lines);
        if (result.close) return this.finish(result.close);
        this.prompt();
        // Time spent waiting on the node is not the operator being idle.
        this.armIdle();
      }
      if (this.inputEnded) this.finish("peer_ended");
    } finally {
      this.running = false;
    }
  }

  private prompt(): void {
    let role = "unknown";
    try {
      role = this.ctx.node.status().role;
    } catch {
      // A node that cannot report its role must not cost the operator the prompt.
    }
    this.send(encoder.encode(`yakt[${this.ctx.node.nodeId} ${role}]> `));
  }

  private writeLines(lines: string[]): void {
    if (lines.length === 0) return;
    // Each line is made printable once more so no line break or escape can sneak into the stream.
    this.send(encoder.encode(lines.map((line) => `${printable(line, Number.POSITIVE_INFINITY)}\r\n`).join("")));
  }

  private writeError(error: ConsoleError): void {
    this.writeLines([`error: ${describeError(error)}`]);
  }

  private send(bytes: Uint8Array): void {
    if (this.closed) return;
    const outcome = this.out.send(bytes);
    if (outcome === "overflow") {
      this.reason = "output_overflow";
      this.ctx.log("console_session_dropped", { peer: this.ctx.session.peer, queuedBytes: this.out.pendingBytes });
      this.closing = true;
      this.socket.terminate();
    }
  }

  /** Says goodbye, then closes once the output is out (or terminates after the idle bound). */
  private finish(reason: string, ...farewell: string[]): void {
    if (this.closing) return;
    this.writeLines(farewell);
    this.reason = reason;
    this.closing = true;
    if (this.closed) return;
    if (this.out.pendingBytes === 0) this.socket.end();
    else this.armIdle();
  }

  /** Loopback sessions and those that gave the token keep the full bound; others the short one. */
  private idleBoundMs(): { ms: number; why: string } {
    const { session, limits } = this.ctx;
    if (session.trusted || session.authorized) return { ms: limits.idleTimeoutMs, why: "" };
    return { ms: Math.min(limits.unauthenticatedIdleTimeoutMs, limits.idleTimeoutMs), why: " without auth" };
  }

  private armIdle(): void {
    this.clearTimer();
    const { ms, why } = this.idleBoundMs();
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = null;
      if (this.closing) {
        this.socket.terminate();
        return;
      }
      this.finish(why === "" ? "idle" : "idle_unauthenticated", `idle for ${formatDuration(ms)}${why}; closing`);
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
