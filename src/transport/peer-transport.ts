// The TCP peer transport. Connection model: every node dials every peer. The dialed ("outbound")
// connection carries this node's Raft messages and requests to the peer and brings the peer's
// replies back; the peer's messages to this node come over the connection the peer dialed
// ("inbound"). So messages flow one way per connection, requests and replies both ways. A dialer
// outside the peer list that advertises its address is let in and dialed back as a learned peer
// (learned-peers.ts), so a member that has not yet read the config entry adding its leader can answer it.
import type { TCPSocketListener } from "bun";
import type { Message, NodeId } from "../raft/types.ts";
import { advertisedAddress, parseAddress } from "./address.ts";
import type { HostPort } from "./address.ts";
import { TransportError } from "./errors.ts";
import { InboundConnection } from "./inbound-connection.ts";
import type { InboundHost, InboundSocket } from "./inbound-connection.ts";
import { InboundSlots } from "./inbound-slots.ts";
import { invariant } from "./invariant.ts";
import { LearnedPeers, WindowLog } from "./learned-peers.ts";
import { resolveLimits } from "./limits.ts";
import { newCounters, OnceLog } from "./link-context.ts";
import type { LinkContext, PeerCounters } from "./link-context.ts";
import { OutboundPeer } from "./outbound-peer.ts";
import { MAX_FOUNDING_VOTERS } from "./handshake-codec.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import { REQUEST_HEADER_BYTES } from "./request-codec.ts";
import { listenPeers } from "./sockets.ts";
import type { PeerStats, Transport, TransportOptions, TransportStats } from "./transport-types.ts";
import type { PeerTlsMaterial } from "./peer-tls.ts";
import { checkNodeId, checkOptions, checkTlsMaterial, parsePeers } from "./validate-options.ts";
import type { PeerAddress } from "./validate-options.ts";

export type { PeerStats, Transport, TransportLimits, TransportOptions, TransportStats } from "./transport-types.ts";
export { TransportError } from "./errors.ts";

type Phase = "new" | "started" | "stopped";
type Listener = TCPSocketListener<InboundConnection | undefined>;

/** stop() waits at most this long for the sockets it closed to report closed. */
const STOP_WAIT_MS = 1_000;
const STOP_POLL_MS = 5;
/** Learned-peer log lines per learnedPeerIdleMs window. */
const LEARNED_LOG_LINES = 16;

export class PeerTransport implements Transport {
  private readonly ctx: LinkContext;
  /** What accepted connections may call back into; kept off the public surface. */
  private readonly host: InboundHost;
  private phase: Phase = "new";
  private listener: Listener | null = null;
  private port = 0;
  private peers: Map<NodeId, PeerAddress>;
  /** Ids outside `peers` let in by their advertised address; disjoint from `peers`. */
  private readonly learned: LearnedPeers;
  private readonly learnedLog: WindowLog;
  private learnedSweep: ReturnType<typeof setInterval> | null = null;
  /** Counts the loop's turns for the slots while an accepted connection settles. */
  private turnTicker: ReturnType<typeof setImmediate> | null = null;
  /** This node's own entry of the latest peer map: what its handshakes advertise. */
  private advertised: string;
  private readonly outbound = new Map<NodeId, OutboundPeer>();
  /** Every accepted connection not yet closed, handshaken or not (bounded by maxInboundConnections). */
  private readonly slots: InboundSlots<InboundConnection>;
  /** Accepted sockets that have not reported closed yet (what stop() waits for). */
  private readonly openSockets = new Set<InboundConnection>();
  /** The newest handshaken connection per peer. */
  private readonly inboundByPeer = new Map<NodeId, InboundConnection>();
  private readonly counters = new Map<NodeId, PeerCounters>();
  private refusedConnections = 0;
  private evictedConnections = 0;
  private turnedAwayConnections = 0;
  private badFrames = 0;
  private unroutableDrops = 0;
  private readonly overloadLog: OnceLog;
  private readonly unknownPeerLog: OnceLog;
  private readonly evictionLog: OnceLog;

  constructor(private readonly opts: TransportOptions) {
    checkOptions(opts);
    const log = opts.log ?? (() => {});
    this.ctx = {
      nodeId: opts.nodeId,
      clusterId: opts.clusterId,
      limits: resolveLimits(opts.limits),
      log: (event, fields) => log(event, { node: opts.nodeId, ...fields }),
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      secret: opts.secret ?? null,
      tls: opts.tls ? { material: opts.tls } : null,
      advertised: () => this.advertised,
      founders: foundersOf(opts.founders ?? []),
    };
    this.slots = new InboundSlots(this.ctx.limits);
    this.peers = parsePeers(opts.peers, opts.nodeId);
    this.advertised = advertisedAddress(opts.peers, opts.nodeId);
    this.learned = new LearnedPeers(this.ctx.limits.maxLearnedPeers, this.ctx.limits.learnedPeerIdleMs);
    this.learnedLog = new WindowLog(this.ctx.log, LEARNED_LOG_LINES, this.ctx.limits.learnedPeerIdleMs);
    this.overloadLog = new OnceLog(this.ctx.log);
    this.unknownPeerLog = new OnceLog(this.ctx.log);
    this.evictionLog = new OnceLog(this.ctx.log);
    this.host = this.inboundHost();
  }

  async start(): Promise<{ port: number }> {
    if (this.phase !== "new") {
      throw new TransportError("invalid", `transport of node ${this.ctx.nodeId} was already started`);
    }
    this.listener = this.listen(this.opts.listenPort, this.ctx.tls?.material ?? null);
    this.port = this.listener.port;
    this.phase = "started";
    for (const [id, peer] of this.peers) this.addOutbound(id, peer.address, peer.target);
    const sweepMs = Math.max(1, Math.floor(this.ctx.limits.learnedPeerIdleMs / 4));
    this.learnedSweep = setInterval(() => this.forgetIdleLearned(), sweepMs);
    this.learnedSweep.unref?.();
    this.ctx.log("transport_started", { host: this.opts.listenHost, port: this.port, peers: [...this.peers.keys()], advertised: this.advertised });
    return { port: this.port };
  }

  send(msgs: Message[]): void {
    for (const msg of msgs) {
      const peer = this.phase === "started" ? this.outbound.get(msg.to) : undefined;
      if (peer !== undefined) {
        peer.enqueue(msg);
      } else {
        this.unroutableDrops += 1;
        this.unknownPeerLog.emit("message_to_unknown_peer", { to: msg.to, type: msg.type, phase: this.phase });
      }
      // Encoded (or dropped) by now: a snapshot chunk's bytes, given over with the message, are freed.
      const chunk = msg.snapshot?.data;
      if (chunk instanceof Uint8Array) freeOwnedBytes(chunk);
    }
  }

  flush(): void {
    for (const peer of this.outbound.values()) peer.flushNow();
  }

  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      this.checkRequest(to, payload, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.phase !== "started") {
      const why = `transport of node ${this.ctx.nodeId} is ${this.phase}, not started`;
      return Promise.reject(new TransportError("closed", why));
    }
    const peer = this.outbound.get(to);
    if (peer === undefined) {
      const why = `node ${to} is not in the peer list of node ${this.ctx.nodeId}`;
      return Promise.reject(new TransportError("unreachable", why));
    }
    return peer.request(payload, timeoutMs);
  }

  setPeers(peers: Map<NodeId, string>): void {
    const next = parsePeers(peers, this.ctx.nodeId);
    this.advertised = advertisedAddress(peers, this.ctx.nodeId);
    for (const [id, { address }] of next) this.promoteLearned(id, address);
    for (const [id, old] of this.peers) {
      const now = next.get(id);
      if (now !== undefined && now.address === old.address) continue;
      const why = now === undefined ? "left the peer list" : `moved to ${now.address}`;
      this.outbound.get(id)?.stop(`node ${id} ${why}`);
      this.outbound.delete(id);
      if (now === undefined) this.inboundByPeer.get(id)?.close();
    }
    for (const [id, peer] of next) {
      if (this.phase === "started" && !this.outbound.has(id)) this.addOutbound(id, peer.address, peer.target);
    }
    this.peers = next;
    this.ctx.log("peers_changed", { peers: [...next.keys()] });
  }

  /**
   * New TLS material (SIGHUP): dials from now on use it, and the listener is reopened on the same
   * port with it; established connections keep their sessions. A dialer connecting in the instant
   * between the two listeners is refused and redials. Throws, changing nothing, when TLS is off or
   * the listener cannot be reopened with it.
   */
  setTls(material: PeerTlsMaterial): void {
    const state = this.ctx.tls;
    if (state === null) throw new TransportError("invalid", `transport of node ${this.ctx.nodeId} runs without TLS; it cannot start on a reload`);
    checkTlsMaterial(material);
    if (this.phase === "started" && this.listener !== null) {
      const old = this.listener;
      old.stop(false);
      try {
        this.listener = this.listen(this.port, material);
      } catch (error) {
        this.listener = this.listen(this.port, state.material);
        throw error;
      }
    }
    state.material = material;
  }

  stats(): TransportStats {
    const peers: PeerStats[] = [...this.peers].map(([id, { address }]) => {
      const link = this.outbound.get(id);
      return {
        id,
        address,
        connected: link?.connected ?? false,
        queuedBytes: link?.queuedBytes ?? 0,
        pendingRequests: link?.pendingRequests ?? 0,
        ...this.counterOf(id),
      };
    });
    return {
      nodeId: this.ctx.nodeId,
      port: this.port,
      peers,
      refusedConnections: this.refusedConnections,
      evictedConnections: this.evictedConnections,
      turnedAwayConnections: this.turnedAwayConnections,
      badFrames: this.badFrames,
      unroutableDrops: this.unroutableDrops,
      learnedPeers: this.learned.size,
    };
  }

  async stop(): Promise<void> {
    if (this.phase === "stopped") return;
    this.phase = "stopped";
    if (this.learnedSweep !== null) clearInterval(this.learnedSweep);
    this.learnedSweep = null;
    if (this.turnTicker !== null) clearImmediate(this.turnTicker);
    this.turnTicker = null;
    for (const peer of this.outbound.values()) peer.stop(`transport of node ${this.ctx.nodeId} stopped`);
    this.outbound.clear();
    for (const conn of this.slots.all()) conn.close();
    this.listener?.stop(true);
    this.listener = null;
    await this.waitForClosedSockets();
    this.ctx.log("transport_stopped", {});
  }

  private inboundHost(): InboundHost {
    return {
      ctx: this.ctx,
      isPeer: (id) => this.peers.has(id),
      countersFor: (id) => this.counterOf(id),
      accepted: (conn) => this.onHandshaken(conn),
      refused: () => {
        this.refusedConnections += 1;
      },
      badFrame: () => {
        this.badFrames += 1;
      },
      evicted: () => {
        this.evictedConnections += 1;
        // Once per run: the metric counts the rest (a flood must not flood the log too).
        this.evictionLog.emit("inbound_evicted", { advice: "connections that do not finish their handshake are being cut; see yakt_transport_evicted_connections_total" });
      },
      tlsDone: (conn) => {
        this.slots.tlsDone(conn);
        this.countTurns();
      },
      released: (conn) => this.slots.release(conn),
      onMessages: (msgs) => this.opts.onMessages(msgs),
      onRequest: (from, payload) => this.opts.onRequest(from, payload),
    };
  }

  private onHandshaken(conn: InboundConnection): void {
    // The dialer keeps one connection to us; an older one from the same peer is a dead leftover.
    const older = this.inboundByPeer.get(conn.peerId);
    if (older !== undefined && older !== conn) older.close();
    this.inboundByPeer.set(conn.peerId, conn);
    if (!this.peers.has(conn.peerId)) this.learn(conn.peerId, conn.advertised);
    this.outbound.get(conn.peerId)?.peerIsUp();
  }

  /** A handshake from `id`, outside the peer list, that listens at `address`: dial it back there. */
  private learn(id: NodeId, address: string): void {
    invariant(address !== "", () => `node ${id} was let in without an advertised address`);
    if (this.phase !== "started") return;
    const { relink, dropped } = this.learned.learn(id, address, this.ctx.now());
    if (dropped !== null) this.dropLearned(dropped, `the oldest of ${this.ctx.limits.maxLearnedPeers} learned peers, dropped for node ${id}`);
    if (!relink) return;
    this.outbound.get(id)?.stop(`learned node ${id} moved to ${address}`);
    this.addOutbound(id, address, parseAddress(address));
    this.learnedLog.emit(this.ctx.now(), "peer_learned", { peer: id, address, learned: this.learned.size, why: "not in this node's peer list; reached at the address its handshake gives" });
  }

  /** `id` joined the peer list: the membership's address wins, and its link is rebuilt if it differs. */
  private promoteLearned(id: NodeId, address: string): void {
    const learned = this.learned.forget(id);
    if (learned === undefined || learned.address === address) return;
    this.outbound.get(id)?.stop(`node ${id} is a member at ${address}, not at its advertised ${learned.address}`);
    this.outbound.delete(id);
  }

  /** Forget a learned peer: close its links both ways and drop its counters. */
  private dropLearned(id: NodeId, why: string): void {
    const peer = this.learned.forget(id);
    this.outbound.get(id)?.stop(`learned node ${id}: ${why}`);
    this.outbound.delete(id);
    this.inboundByPeer.get(id)?.close();
    this.counters.delete(id);
    this.learnedLog.emit(this.ctx.now(), "peer_forgotten", { peer: id, address: peer?.address ?? "", why });
  }

  private forgetIdleLearned(): void {
    const idleMs = this.ctx.limits.learnedPeerIdleMs;
    for (const id of this.learned.idle(this.ctx.now(), (peer) => this.inboundByPeer.has(peer))) {
      this.dropLearned(id, `no connection from it for ${idleMs} ms`);
    }
  }

  private listen(port: number, tls: PeerTlsMaterial | null): Listener {
    return listenPeers<InboundConnection>(
      { host: this.opts.listenHost, port },
      tls,
      {
        handshake: (socket, success, error) => socket.data?.onTls(success, error),
        open: (socket) => this.onAccept(socket),
        data: (socket, chunk) => socket.data?.onData(chunk),
        drain: (socket) => socket.data?.onDrain(),
        close: (socket) => this.onSocketClosed(socket),
        error: (socket, error) => {
          this.ctx.log("inbound_error", { peer: socket.data?.peerId ?? 0, error: error.message });
          socket.data?.close();
        },
      },
    );
  }

  /** A new connection evicts a waiting one when the slots are full; only handshaken peers fill them for good. */
  private onAccept(socket: InboundSocket): void {
    if (this.phase !== "started") {
      socket.terminate();
      return;
    }
    if (!this.slots.admit(socket.remoteAddress)) {
      this.turnedAwayConnections += 1;
      const max = this.ctx.limits.maxInboundConnections;
      // Once per run: the metric counts the rest.
      this.overloadLog.emit("inbound_rejected", {
        remote: socket.remoteAddress,
        open: this.slots.size,
        max,
        advice: "no waiting connection could make room (see yakt_transport_turned_away_connections_total)",
      });
      socket.terminate();
      return;
    }
    const conn = new InboundConnection(socket, this.host);
    socket.data = conn;
    this.slots.add(conn);
    this.openSockets.add(conn);
    this.countTurns();
  }

  /** One tick per loop turn, only while a connection settles: an idle loop stays asleep. */
  private countTurns(): void {
    if (this.turnTicker !== null) return;
    const tick = (): void => {
      this.turnTicker = this.slots.nextTurn() ? setImmediate(tick) : null;
    };
    this.turnTicker = setImmediate(tick);
  }

  private onSocketClosed(socket: InboundSocket): void {
    const conn = socket.data;
    if (conn === undefined) return;
    conn.onClosed();
    this.openSockets.delete(conn);
    if (this.inboundByPeer.get(conn.peerId) === conn) this.inboundByPeer.delete(conn.peerId);
  }

  private addOutbound(id: NodeId, address: string, target: HostPort): void {
    const peer = new OutboundPeer(id, address, target, this.ctx, this.counterOf(id));
    this.outbound.set(id, peer);
    peer.start();
  }

  private counterOf(id: NodeId): PeerCounters {
    let counters = this.counters.get(id);
    if (counters === undefined) {
      counters = newCounters();
      this.counters.set(id, counters);
    }
    return counters;
  }

  private checkRequest(to: NodeId, payload: Uint8Array, timeoutMs: number): void {
    checkNodeId(to, "request target");
    if (!(payload instanceof Uint8Array)) {
      throw new TransportError("invalid", `request payload must be a Uint8Array, got ${typeof payload}`);
    }
    const max = this.ctx.limits.maxFrameBytes;
    if (1 + REQUEST_HEADER_BYTES + payload.length > max) {
      const size = payload.length;
      throw new TransportError("invalid", `request payload of ${size} bytes does not fit in a frame of ${max}`);
    }
    const maxTimeout = this.ctx.limits.maxRequestTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeout) {
      const got = String(timeoutMs);
      throw new TransportError("invalid", `request timeout must be an integer in [1, ${maxTimeout}] ms, got ${got}`);
    }
  }

  /** Bounded: sockets that do not report closed within STOP_WAIT_MS are left to the OS. */
  private async waitForClosedSockets(): Promise<void> {
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.openSockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
    }
  }
}

/** Ascending and unique, as the handshake carries them; checked, since a Hello refuses anything else. */
function foundersOf(ids: readonly NodeId[]): readonly NodeId[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  invariant(sorted.length <= MAX_FOUNDING_VOTERS && sorted.every((id) => Number.isSafeInteger(id) && id > 0 && id <= 0xffffffff), () => `founders must be at most ${MAX_FOUNDING_VOTERS} positive 32-bit ids, got ${JSON.stringify(ids)}`);
  return Object.freeze(sorted);
}
