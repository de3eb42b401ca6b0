// One connection a peer dialed to us. With peer TLS it must first finish the TLS handshake with a
// certificate our CA signed, naming the node id it will claim. It must open with a handshake naming
// our cluster and a known peer id, or another id with the address it listens at (a learned peer),
// and, with a peer secret, prove it holds the secret; after that it carries the
// peer's Raft message batches and requests, and we write replies back on it. Until the handshake
// is done it may send only handshake-sized frames, and it holds a slot the transport may give to
// a newer connection (see inbound-slots.ts). Any protocol violation closes this connection only,
// logged once.
import type { Socket } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import { DecodeError } from "./errors.ts";
import { encodeFrame, FrameKind } from "./frame.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { answerHello, checkProof, refusalFrame } from "./handshake.ts";
import { decodeHello, decodeProof, MAX_HANDSHAKE_FRAME_BYTES } from "./handshake-codec.ts";
import type { Hello } from "./handshake-codec.ts";
import { OnceLog } from "./link-context.ts";
import type { LinkContext, PeerCounters } from "./link-context.ts";
import { decodeMessages } from "./message-codec.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import type { HandshakeTranscript } from "./peer-auth.ts";
import { tlsOutcome } from "./peer-tls.ts";
import { decodeIdAndPayload, encodeErrorReply, REQUEST_HEADER_BYTES, requestHeader } from "./request-codec.ts";
import { WriteQueue } from "./write-queue.ts";

/** What the owning transport offers its accepted connections. */
export interface InboundHost {
  readonly ctx: LinkContext;
  isPeer(id: NodeId): boolean;
  countersFor(id: NodeId): PeerCounters;
  /** The handshake of `conn` succeeded: it is now the connection of conn.peerId. */
  accepted(conn: InboundConnection): void;
  refused(): void;
  badFrame(): void;
  /** `conn` gave up its slot before finishing its handshake (timed out or evicted). */
  evicted(): void;
  /** `conn` finished its TLS handshake: its Hello can come only now. */
  tlsDone(conn: InboundConnection): void;
  /** `conn` is closed: its slot is free at once, before the socket reports closed. */
  released(conn: InboundConnection): void;
  onMessages(msgs: Message[]): void;
  onRequest(from: NodeId, payload: Uint8Array): Promise<Uint8Array>;
}

export type InboundSocket = Socket<InboundConnection | undefined>;

/** waiting: no valid Hello yet. proving: a known peer's Hello, its secret proof outstanding. */
export type InboundPhase = "waiting" | "proving" | "handshaken";

export class InboundConnection {
  /** 0 until the handshake is accepted. */
  peerId: NodeId = 0;
  /** The address the dialer advertised in its Hello ("" for none); set with peerId. */
  advertised = "";
  phase: InboundPhase = "waiting";
  /** Bytes received so far; a connection that sent none is the first to be evicted. */
  bytesReceived = 0;
  readonly remoteHost: string;
  private closed = false;
  private serving = 0;
  private readonly decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  private readonly queue: WriteQueue;
  private readonly errorLog: OnceLog;
  private handshakeTimer: ReturnType<typeof setTimeout> | null;
  /** Set while proving: what the dialer's proof must MAC over. */
  private transcript: HandshakeTranscript | null = null;
  /** With peer TLS: true until the TLS handshake is over (nothing may be read or written before). */
  private tlsOn: boolean;
  /** With peer TLS: the node id the dialer's certificate names, the only one it may claim. */
  private certId: NodeId | null = null;

  constructor(
    private readonly socket: InboundSocket,
    private readonly host: InboundHost,
  ) {
    const limits = host.ctx.limits;
    this.remoteHost = socket.remoteAddress;
    this.tlsOn = host.ctx.tls !== null;
    this.queue = new WriteQueue(limits.maxQueueBytes);
    this.errorLog = new OnceLog(host.ctx.log);
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = null;
      this.errorLog.emit("handshake_timeout", { remote: this.remote, phase: this.phase, waitedMs: limits.handshakeTimeoutMs });
      this.host.evicted();
      this.close();
    }, limits.handshakeTimeoutMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** TLS only: the TLS handshake is over; the dialer's certificate decides whether it may go on. */
  /** True while its TLS handshake is still going on (what the inbound slots settle it by). */
  get tlsPending(): boolean {
    return this.tlsOn;
  }

  onTls(success: boolean, authorizationError: Error | null): void {
    if (this.closed || !this.tlsOn) return;
    const outcome = tlsOutcome(success, authorizationError, this.socket.getPeerCertificate());
    if (!outcome.ok) return this.refuse(outcome.reason, 0);
    this.tlsOn = false;
    this.certId = outcome.certId;
    this.host.tlsDone(this);
  }

  onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.bytesReceived += chunk.length;
    try {
      if (this.tlsOn) throw new DecodeError("data arrived before the TLS handshake was over");
      for (const frame of this.decoder.push(chunk)) {
        this.onFrame(frame);
        if (this.closed) return;
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.host.badFrame();
      this.errorLog.emit("bad_frame", { peer: this.peerId, remote: this.remote, phase: this.phase, error: error.message });
      this.close();
    }
  }

  onDrain(): void {
    if (!this.closed && this.queue.flush(this.socket) < 0) this.close();
  }

  /** Close this connection now (idempotent); its slot is released at once. */
  close(): void {
    if (this.closed) return;
    this.onClosed();
    this.socket.terminate();
  }

  /** Give the slot to a newer connection: this one had not finished its handshake. */
  evict(): void {
    if (this.closed) return;
    this.host.evicted();
    this.close();
  }

  /** The socket is gone: release the timer, the queue and the slot; replies still being computed are dropped. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.queue.clear();
    this.host.released(this);
  }

  private get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onFrame(frame: Frame): void {
    if (this.phase === "waiting") {
      if (frame.kind !== FrameKind.Handshake) throw new DecodeError(`expected a handshake first, got frame kind ${frame.kind}`);
      return this.onHello(decodeHello(frame.body));
    }
    if (this.phase === "proving") {
      if (frame.kind !== FrameKind.HandshakeProof) throw new DecodeError(`expected the handshake proof, got frame kind ${frame.kind}`);
      return this.onProof(decodeProof(frame.body));
    }
    this.host.countersFor(this.peerId).receivedFrames += 1;
    if (frame.kind === FrameKind.Messages) {
      // Entries are views into the frame's body (decodeMessages), which they keep. A snapshot chunk
      // is a copy: a frame with no entries (a chunk's ~1 MiB) is done with.
      const msgs = decodeMessages(frame.body);
      if (!msgs.some((m) => m.entries.length > 0)) freeOwnedBytes(frame.body);
      return this.onMessages(msgs);
    }
    if (frame.kind === FrameKind.Request) {
      const { id, payload } = decodeIdAndPayload(frame.body);
      return this.serve(id, payload);
    }
    throw new DecodeError(`frame kind ${frame.kind} is not expected on an inbound connection`);
  }

  private onHello(hello: Hello): void {
    const answer = answerHello(this.host.ctx, hello, (id) => this.host.isPeer(id), this.certId);
    if (answer.kind === "refuse") return this.refuse(answer.reason, hello.nodeId);
    this.write(answer.ack);
    this.advertised = hello.address;
    if (answer.transcript === null) return this.complete(answer.peerId);
    this.transcript = answer.transcript;
    this.phase = "proving";
  }

  private onProof(mac: Uint8Array): void {
    const t = this.transcript;
    if (t === null) throw new DecodeError("a handshake proof arrived outside the proving phase");
    const wrong = checkProof(this.host.ctx, t, mac);
    if (wrong !== null) return this.refuse(wrong, t.dialerId);
    this.transcript = null;
    this.complete(t.dialerId);
  }

  private complete(peerId: NodeId): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.peerId = peerId;
    this.phase = "handshaken";
    this.decoder.raiseCap(this.host.ctx.limits.maxFrameBytes);
    this.host.accepted(this);
  }

  private refuse(reason: string, claimed: NodeId): void {
    const ctx = this.host.ctx;
    this.host.refused();
    this.errorLog.emit("handshake_refused", { remote: this.remote, peer: claimed, reason });
    this.socket.write(refusalFrame(reason));
    this.onClosed();
    // end(), not terminate(): the refusal must reach the dialer before the FIN. The idle
    // timeout bounds how long a dialer that never closes its side can keep the socket.
    this.socket.end();
    this.socket.timeout(Math.ceil(ctx.limits.handshakeTimeoutMs / 1000));
  }

  private onMessages(msgs: Message[]): void {
    for (const m of msgs) {
      if (m.from !== this.peerId || m.to !== this.host.ctx.nodeId) {
        throw new DecodeError(
          `message from ${m.from} to ${m.to} on the connection of node ${this.peerId} to node ${this.host.ctx.nodeId}`,
        );
      }
    }
    this.host.countersFor(this.peerId).receivedMessages += msgs.length;
    try {
      this.host.onMessages(msgs);
    } catch (error) {
      // The runtime's handler failing is its bug, not the peer's: keep the connection, say it once.
      this.errorLog.emit("on_messages_failed", { peer: this.peerId, error: errorText(error) });
    }
  }

  private serve(id: number, payload: Uint8Array): void {
    const max = this.host.ctx.limits.maxServingRequests;
    if (this.serving >= max) {
      return this.replyError(id, `node ${this.host.ctx.nodeId} is busy: ${max} requests in service`);
    }
    this.serving += 1;
    let result: Promise<Uint8Array>;
    try {
      result = this.host.onRequest(this.peerId, payload);
    } catch (error) {
      result = Promise.reject(error);
    }
    void result
      .then(
        (reply) => this.reply(id, reply),
        (error: unknown) => this.replyError(id, errorText(error)),
      )
      .finally(() => {
        this.serving -= 1;
      });
  }

  private reply(id: number, reply: unknown): void {
    if (!(reply instanceof Uint8Array)) {
      return this.replyError(id, "request handler returned something other than bytes");
    }
    const max = this.host.ctx.limits.maxFrameBytes;
    if (1 + REQUEST_HEADER_BYTES + reply.length > max) {
      return this.replyError(id, `reply of ${reply.length} bytes does not fit in a frame of ${max}`);
    }
    this.write(encodeFrame(FrameKind.Reply, [requestHeader(id), reply], max));
  }

  private replyError(id: number, message: string): void {
    this.write(encodeFrame(FrameKind.ErrorReply, [encodeErrorReply(id, message)], this.host.ctx.limits.maxFrameBytes));
  }

  private write(frame: Uint8Array): void {
    if (this.closed) return;
    if (!this.queue.enqueue(frame)) {
      const fields = { peer: this.peerId, reason: "write queue full", queuedBytes: this.queue.bytes };
      this.errorLog.emit("reply_dropped", fields);
      return;
    }
    if (this.queue.flush(this.socket) < 0) this.close();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
