// The link to one peer that this node dials. It carries this node's Raft message batches and
// requests to the peer, and the peer's replies back; the peer's own messages to us arrive on the
// connection the peer dials (see inbound-connection.ts). With peer TLS the Hello goes out only once
// the TLS handshake is over and the listener's certificate names the node dialed. It redials with
// backoff while the peer stays in the peer list, and drops what it cannot deliver: Raft retries.
import type { Socket } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import type { HostPort } from "./address.ts";
import { Backoff } from "./backoff.ts";
import { DecodeError, EncodeError, TransportError } from "./errors.ts";
import { encodeFrame, FrameKind } from "./frame.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { checkAck, checkListenerTls, dialerHello } from "./handshake.ts";
import { decodeHello, decodeRefusal, MAX_HANDSHAKE_FRAME_BYTES } from "./handshake-codec.ts";
import { OnceLog } from "./link-context.ts";
import type { LinkContext, PeerCounters } from "./link-context.ts";
import { MessageBatcher } from "./message-batcher.ts";
import { encodeMessage } from "./message-codec.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import { PendingRequests } from "./pending-requests.ts";
import { tlsOutcome } from "./peer-tls.ts";
import { dialPeer } from "./sockets.ts";
import { decodeErrorReply, decodeIdAndPayload, requestHeader } from "./request-codec.ts";
import { WriteQueue } from "./write-queue.ts";

type LinkState = "idle" | "connecting" | "connected" | "backoff" | "stopped";

/** Bound on the log lines of one outage: a peer failing in ever new ways must not flood the log. */
const MAX_OUTAGE_LINES = 8;

/** The nonce of a dial whose Hello has not gone out yet (compared by identity). */
const NO_HELLO = new Uint8Array(0);

export class OutboundPeer {
  private state: LinkState = "idle";
  private socket: Socket<undefined> | null = null;
  /** Bumped per dial and per teardown, so events of an abandoned socket are recognised and ignored. */
  private generation = 0;
  private decoder: FrameDecoder;
  private readonly queue: WriteQueue;
  private readonly batch: MessageBatcher;
  private flushScheduled = false;
  private readonly backoff: Backoff;
  private readonly pending: PendingRequests;
  /** The connect timeout while connecting, the redial timer while in backoff. */
  private timer: ReturnType<typeof setTimeout> | null = null;
  private everConnected = false;
  /**
   * An outage is logged once per distinct failure, not at every failed redial: the failures logged
   * since the link was last up, at most MAX_OUTAGE_LINES of them. A peer that was down and now
   * answers with a certificate we refuse says so.
   */
  private readonly outageEvents = new Set<string>();
  private lastProgressAt = 0;
  private errorLog: OnceLog;
  private readonly encodeLog: OnceLog;
  /** The nonce of the current dial's Hello (the listener MACs over it); empty until the Hello is sent. */
  private nonce: Uint8Array = NO_HELLO;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    private readonly target: HostPort,
    private readonly ctx: LinkContext,
    private readonly counters: PeerCounters,
  ) {
    const limits = ctx.limits;
    this.decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
    this.queue = new WriteQueue(limits.maxQueueBytes);
    this.backoff = new Backoff(limits.backoffMinMs, limits.backoffMaxMs, ctx.random);
    this.pending = new PendingRequests(limits.maxPendingRequests, id);
    this.errorLog = new OnceLog(ctx.log);
    this.encodeLog = new OnceLog(ctx.log);
    this.batch = new MessageBatcher(limits.maxFrameBytes);
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  get queuedBytes(): number {
    return this.queue.bytes + this.batch.bytes;
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.state === "idle") this.dial();
  }

  /** Queue one message for this tick's batch; dropped (and counted) when the peer is unreachable. */
  enqueue(msg: Message): void {
    if (this.state !== "connecting" && this.state !== "connected") {
      this.counters.drops += 1;
      return;
    }
    let body: Uint8Array;
    try {
      body = encodeMessage(msg, this.batch.maxBytes);
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      this.counters.drops += 1;
      this.encodeLog.emit("message_not_encodable", { peer: this.id, type: msg.type, error: error.message });
      return;
    }
    if (!this.batch.fits(body)) this.flushBatch();
    this.batch.add(body);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flushBatch());
    }
  }

  request(payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.state !== "connecting" && this.state !== "connected") {
      return Promise.reject(new TransportError("unreachable", `node ${this.id} at ${this.address} is not connected`));
    }
    if (this.pending.full) {
      const waiting = this.pending.size;
      return Promise.reject(
        new TransportError("unreachable", `node ${this.id} already has ${waiting} requests waiting for a reply`),
      );
    }
    const { id, reply } = this.pending.add(timeoutMs);
    // The transport checked the payload against the frame cap, so encoding cannot fail here.
    const frame = encodeFrame(FrameKind.Request, [requestHeader(id), payload], this.ctx.limits.maxFrameBytes);
    if (this.queueFrame(frame)) {
      this.counters.sentFrames += 1;
      this.flush();
    } else {
      this.counters.droppedBytes += frame.length;
      this.pending.reject(id, new TransportError("unreachable", `write queue to node ${this.id} is full`));
    }
    return reply;
  }

  /** Close for good; waiting requests fail as "closed" with `reason`. */
  stop(reason: string): void {
    if (this.state === "stopped") return;
    this.teardown(new TransportError("closed", reason));
    this.state = "stopped";
  }

  private dial(): void {
    this.state = "connecting";
    const gen = ++this.generation;
    // Until the listener has answered, only a handshake-sized frame is accepted from it.
    this.decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
    this.errorLog = new OnceLog(this.ctx.log);
    this.nonce = NO_HELLO;
    this.timer = setTimeout(() => {
      this.fail(gen, "connect_timeout", `no handshake within ${this.ctx.limits.connectTimeoutMs} ms`);
    }, this.ctx.limits.connectTimeoutMs);
    // The material of this dial: a SIGHUP during it changes the next dial's, not this one's.
    dialPeer(this.target, this.ctx.tls?.material ?? null, {
      open: (socket) => this.onOpen(gen, socket),
      handshake: (socket, success, error) => this.onTls(gen, socket, success, error),
      data: (chunk) => this.onData(gen, chunk),
      drain: () => this.onDrain(gen),
      failed: (event, detail) => this.fail(gen, event, detail),
    });
  }

  private onOpen(gen: number, socket: Socket<undefined>): void {
    if (gen !== this.generation || this.state !== "connecting") {
      socket.terminate();
      return;
    }
    this.socket = socket;
    // With TLS, a write before the TLS handshake is over would be lost: the Hello waits for onTls.
    if (this.ctx.tls === null) this.sendHello(gen, socket);
  }

  /** TLS only: the listener must be trusted by our CA and hold the certificate of the node dialed. */
  private onTls(gen: number, socket: Socket<undefined>, success: boolean, error: Error | null): void {
    if (gen !== this.generation || this.state !== "connecting") return;
    // Bun reports open before the TLS handshake; should it ever report them the other way round, adopt the socket here.
    this.socket ??= socket;
    if (socket !== this.socket) return;
    const mismatch = checkListenerTls(this.id, tlsOutcome(success, error, socket.getPeerCertificate()));
    if (mismatch !== null) return this.fail(gen, "peer_tls_refused", mismatch);
    this.sendHello(gen, socket);
  }

  private sendHello(gen: number, socket: Socket<undefined>): void {
    const { frame, nonce } = dialerHello(this.ctx);
    this.nonce = nonce;
    // A fresh socket's send buffer always takes a few dozen bytes; anything else is a dead socket.
    if (socket.write(frame) !== frame.length) this.fail(gen, "connect_failed", "could not write the handshake");
  }

  private onData(gen: number, chunk: Uint8Array): void {
    if (gen !== this.generation) return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        this.onFrame(frame);
        if (gen !== this.generation) return;
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.fail(gen, "bad_frame", error.message);
    }
  }

  private onFrame(frame: Frame): void {
    if (this.state === "connecting") {
      if (this.nonce === NO_HELLO) throw new DecodeError(`frame kind ${frame.kind} arrived before this node sent its handshake`);
      if (frame.kind === FrameKind.HandshakeAck) return this.onAck(frame.body);
      if (frame.kind === FrameKind.HandshakeRefuse) {
        return this.fail(this.generation, "handshake_refused", decodeRefusal(frame.body));
      }
      throw new DecodeError(`expected a handshake answer, got frame kind ${frame.kind}`);
    }
    this.counters.receivedFrames += 1;
    if (frame.kind === FrameKind.HandshakeRefuse) {
      // Sent after our proof when the listener found it wrong.
      return this.fail(this.generation, "handshake_refused", decodeRefusal(frame.body));
    }
    if (frame.kind === FrameKind.Reply) {
      const { id, payload } = decodeIdAndPayload(frame.body);
      this.pending.resolve(id, payload);
    } else if (frame.kind === FrameKind.ErrorReply) {
      const { id, message } = decodeErrorReply(frame.body);
      this.pending.reject(id, new TransportError("remote_error", `node ${this.id}: ${message}`));
    } else {
      throw new DecodeError(`frame kind ${frame.kind} is not expected on an outbound connection`);
    }
  }

  private onAck(body: Uint8Array): void {
    const gen = this.generation;
    const { mismatch, proof } = checkAck(this.ctx, this.id, this.nonce, decodeHello(body));
    // The proof goes out before anything queued, and before a failure, so the listener logs why too.
    if (proof !== null && this.socket?.write(proof) !== proof.length) return this.fail(gen, "connect_failed", "could not write the handshake proof");
    // After a proof, close gracefully: an abort could discard it before the listener reads it.
    if (mismatch !== null) return this.fail(gen, "peer_mismatch", mismatch, proof !== null);
    this.decoder.raiseCap(this.ctx.limits.maxFrameBytes);
    this.clearTimer();
    this.state = "connected";
    this.backoff.reset();
    if (this.everConnected) this.counters.reconnects += 1;
    this.everConnected = true;
    this.outageEvents.clear();
    this.lastProgressAt = this.ctx.now();
    this.ctx.log("peer_connected", { peer: this.id, address: this.address });
    this.flush();
  }

  private onDrain(gen: number): void {
    if (gen === this.generation) this.flush();
  }

  /**
   * The peer just dialed us, so it is up: a redial waiting out its backoff goes now. (A restarted
   * peer would otherwise stay unreachable from here for up to backoffMaxMs, while it reaches us.)
   */
  peerIsUp(): void {
    if (this.state !== "backoff") return;
    this.clearTimer();
    this.backoff.reset();
    this.dial();
  }

  /** Write the batch to the socket now rather than in the microtask send() scheduled. */
  flushNow(): void {
    this.flushBatch();
  }

  private flushBatch(): void {
    this.flushScheduled = false;
    const taken = this.batch.take();
    if (taken === null) return;
    const { parts, count } = taken;
    if (this.state !== "connecting" && this.state !== "connected") {
      this.counters.drops += count;
      for (const part of parts) freeOwnedBytes(part);
      return;
    }
    const frame = encodeFrame(FrameKind.Messages, parts, this.ctx.limits.maxFrameBytes);
    // The encoded messages are the batch's alone and now copied into the frame.
    for (const part of parts) freeOwnedBytes(part);
    if (!this.queueFrame(frame)) {
      // Whole frame or nothing: the peer never sees part of a batch.
      this.counters.drops += count;
      this.counters.droppedBytes += frame.length;
      freeOwnedBytes(frame);
      return;
    }
    this.counters.sentFrames += 1;
    this.counters.sentMessages += count;
    this.flush();
  }

  private queueFrame(frame: Uint8Array): boolean {
    if (this.queue.bytes === 0) this.lastProgressAt = this.ctx.now();
    if (this.queue.enqueue(frame)) return true;
    this.dropIfStalled();
    return false;
  }

  /** A peer that takes no bytes for stallTimeoutMs while we have plenty is treated as gone. */
  private dropIfStalled(): void {
    const stalledMs = this.ctx.now() - this.lastProgressAt;
    if (this.state === "connected" && stalledMs > this.ctx.limits.stallTimeoutMs) {
      this.fail(this.generation, "peer_stalled", `no write progress for ${stalledMs} ms with a full queue`);
    }
  }

  private flush(): void {
    if (this.state !== "connected" || this.socket === null) return;
    const written = this.queue.flush(this.socket);
    if (written < 0) return this.fail(this.generation, "peer_disconnected", "socket closed while writing");
    if (written > 0) this.lastProgressAt = this.ctx.now();
  }

  /** Drop the connection (if `gen` is still the current one) and redial after a backoff delay. */
  private fail(gen: number, event: string, detail: string, graceful = false): void {
    if (gen !== this.generation || this.state === "stopped") return;
    const wasConnected = this.state === "connected";
    if (wasConnected) this.outageEvents.clear();
    const failure = `${event}: ${detail}`;
    if (!this.outageEvents.has(failure) && this.outageEvents.size < MAX_OUTAGE_LINES) {
      this.ctx.log(event, { peer: this.id, address: this.address, detail });
      this.outageEvents.add(failure);
    }
    this.teardown(
      wasConnected
        ? new TransportError("closed", `connection to node ${this.id} closed: ${detail}`)
        : new TransportError("unreachable", `node ${this.id} at ${this.address} is unreachable: ${detail}`),
      graceful,
    );
    this.state = "backoff";
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dial();
    }, this.backoff.next());
  }

  private teardown(reason: TransportError, graceful = false): void {
    this.generation += 1;
    this.clearTimer();
    if (graceful) closeGracefully(this.socket, this.ctx.limits.connectTimeoutMs);
    else this.socket?.terminate();
    this.socket = null;
    this.queue.clear();
    this.pending.rejectAll(reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** FIN after what was written, then abort if the other side has not closed within `boundMs`. */
function closeGracefully(socket: Socket<undefined> | null, boundMs: number): void {
  if (socket === null) return;
  socket.end();
  const timer = setTimeout(() => socket.terminate(), boundMs);
  timer.unref?.();
}
