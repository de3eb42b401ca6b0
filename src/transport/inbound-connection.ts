// One connection a peer dialed to us. It must open with a handshake naming our cluster and a
// known peer id; after that it carries the peer's Raft message batches and requests, and we write
// replies back on it. Any protocol violation closes this connection only, logged once.
import type { Socket } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import { DecodeError } from "./errors.ts";
import { encodeFrame, FrameKind } from "./frame.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { decodeHello, encodeHello, encodeRefusal, HANDSHAKE_VERSION } from "./handshake-codec.ts";
import type { Hello } from "./handshake-codec.ts";
import { OnceLog } from "./link-context.ts";
import type { LinkContext, PeerCounters } from "./link-context.ts";
import { decodeMessages } from "./message-codec.ts";
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
  onMessages(msgs: Message[]): void;
  onRequest(from: NodeId, payload: Uint8Array): Promise<Uint8Array>;
}

export type InboundSocket = Socket<InboundConnection | undefined>;

export class InboundConnection {
  /** 0 until the handshake is accepted. */
  peerId: NodeId = 0;
  private closed = false;
  private serving = 0;
  private readonly decoder: FrameDecoder;
  private readonly queue: WriteQueue;
  private readonly errorLog: OnceLog;
  private handshakeTimer: ReturnType<typeof setTimeout> | null;

  constructor(
    private readonly socket: InboundSocket,
    private readonly host: InboundHost,
  ) {
    const limits = host.ctx.limits;
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    this.queue = new WriteQueue(limits.maxQueueBytes);
    this.errorLog = new OnceLog(host.ctx.log);
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = null;
      this.errorLog.emit("handshake_timeout", { remote: this.remote, waitedMs: limits.handshakeTimeoutMs });
      this.close();
    }, limits.handshakeTimeoutMs);
  }

  onData(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        this.onFrame(frame);
        if (this.closed) return;
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.host.badFrame();
      this.errorLog.emit("bad_frame", { peer: this.peerId, remote: this.remote, error: error.message });
      this.close();
    }
  }

  onDrain(): void {
    if (!this.closed && this.queue.flush(this.socket) < 0) this.close();
  }

  /** Close this connection now (idempotent); the transport forgets it on the socket's close event. */
  close(): void {
    if (this.closed) return;
    this.onClosed();
    this.socket.terminate();
  }

  /** The socket is gone: release the timer and the queue; replies still being computed are dropped. */
  onClosed(): void {
    this.closed = true;
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.queue.clear();
  }

  private get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onFrame(frame: Frame): void {
    if (this.peerId === 0) {
      if (frame.kind !== FrameKind.Handshake) {
        throw new DecodeError(`expected a handshake first, got frame kind ${frame.kind}`);
      }
      return this.onHandshake(decodeHello(frame.body));
    }
    this.host.countersFor(this.peerId).receivedFrames += 1;
    if (frame.kind === FrameKind.Messages) return this.onMessages(decodeMessages(frame.body));
    if (frame.kind === FrameKind.Request) {
      const { id, payload } = decodeIdAndPayload(frame.body);
      return this.serve(id, payload);
    }
    throw new DecodeError(`frame kind ${frame.kind} is not expected on an inbound connection`);
  }

  private onHandshake(hello: Hello): void {
    const reason = this.refusalReason(hello);
    const ctx = this.host.ctx;
    if (reason !== null) {
      this.host.refused();
      this.errorLog.emit("handshake_refused", { remote: this.remote, peer: hello.nodeId, reason });
      this.socket.write(encodeFrame(FrameKind.HandshakeRefuse, [encodeRefusal(reason)], ctx.limits.maxFrameBytes));
      this.onClosed();
      // end(), not terminate(): the refusal must reach the dialer before the FIN. The idle
      // timeout bounds how long a dialer that never closes its side can keep the socket.
      this.socket.end();
      this.socket.timeout(Math.ceil(ctx.limits.handshakeTimeoutMs / 1000));
      return;
    }
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.peerId = hello.nodeId;
    const ack = encodeHello({ version: HANDSHAKE_VERSION, clusterId: ctx.clusterId, nodeId: ctx.nodeId });
    this.write(encodeFrame(FrameKind.HandshakeAck, [ack], ctx.limits.maxFrameBytes));
    this.host.accepted(this);
  }

  private refusalReason(hello: Hello): string | null {
    const ctx = this.host.ctx;
    if (hello.version !== HANDSHAKE_VERSION) {
      return `handshake version ${hello.version} is not the supported ${HANDSHAKE_VERSION}`;
    }
    if (hello.clusterId !== ctx.clusterId) {
      return `cluster id ${JSON.stringify(hello.clusterId)} is not this cluster's ${JSON.stringify(ctx.clusterId)}`;
    }
    if (hello.nodeId === ctx.nodeId) return `node id ${hello.nodeId} is this node's own id`;
    if (!this.host.isPeer(hello.nodeId)) return `node id ${hello.nodeId} is not in the peer list of node ${ctx.nodeId}`;
    return null;
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
