// The public contract of the peer transport: what the node runtime constructs it with, what it can
// ask of it, and what it reports. Implemented by PeerTransport (peer-transport.ts).
import type { Message, NodeId } from "../raft/types.ts";
import type { PeerTlsMaterial } from "./peer-tls.ts";

export interface TransportLimits {
  /** Hard cap on one frame (kind byte + body); larger frames close the connection. */
  maxFrameBytes: number;
  /** Bound on bytes waiting to be written to one peer (per connection); beyond it, sends are dropped. */
  maxQueueBytes: number;
  /** Reconnect delay after the first failure; doubles per failure up to backoffMaxMs, with jitter. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Bound on dialing plus handshake; a slower peer counts as unreachable. */
  connectTimeoutMs: number;
  /** Bound on how long an accepted connection may take to finish its handshake (proof included). */
  handshakeTimeoutMs: number;
  /** Upper bound a caller may pass as request() timeout. */
  maxRequestTimeoutMs: number;
  /** Bound on requests awaiting a reply from one peer. */
  maxPendingRequests: number;
  /** Bound on requests one inbound connection may have being served at once. */
  maxServingRequests: number;
  /** Bound on accepted connections at once; beyond it a waiting one is evicted, or the new one closed. */
  maxInboundConnections: number;
  /** Bound on accepted connections whose handshake is not done; beyond it the oldest waiting one is evicted (see inbound-slots.ts). */
  maxPendingHandshakes: number;
  /** The same bound per remote address, so one host cannot take every waiting slot. */
  maxPendingPerAddress: number;
  /** A connection whose queue stays full without write progress this long is dropped and redialed. */
  stallTimeoutMs: number;
  /** Bound on learned peers (ids outside the peer list let in by their advertised address); the oldest goes when full. */
  maxLearnedPeers: number;
  /** A learned peer without a handshaken connection to us for this long is forgotten (its link closed). */
  learnedPeerIdleMs: number;
}

export interface TransportOptions {
  clusterId: string;
  nodeId: NodeId;
  /** Port 0 = ephemeral (tests); start() returns the bound port. */
  listenHost: string;
  listenPort: number;
  /**
   * id → "host:port" (IPv6 as "[::1]:port"). This node's own entry, if any, is not dialed: it is the
   * address this node advertises in its handshakes (none when absent or an unspecified host).
   */
  peers: Map<NodeId, string>;
  /** A decoded batch from one peer, all messages addressed to this node. */
  onMessages: (msgs: Message[]) => void;
  /** Serve a peer's request; a rejection goes back to the caller as a "remote_error". */
  onRequest: (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>;
  /** One structured line per event; never called per message. */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /**
   * The voters this node was first started with (the data dir keeps them). A peer first started
   * with others is refused at the handshake, both ways. Empty or absent: not known, not compared.
   */
  founders?: readonly NodeId[];
  limits?: Partial<TransportLimits>;
  /** Source in [0, 1) for backoff jitter; tests pass a seeded one. Default Math.random. */
  random?: () => number;
  /** Milliseconds clock used for stall detection. Default Date.now. */
  now?: () => number;
  /**
   * The cluster's peer secret: when set, both sides of every handshake must prove they hold it
   * (peer-auth.ts) and a peer without it is refused. Null or absent: no proof, as in version 1.
   */
  secret?: Uint8Array | null;
  /**
   * Peer mTLS (peer-tls.ts): both sides verify the other's certificate against `ca`, and a peer may
   * claim only the node id its certificate names. Null or absent: plain TCP.
   */
  tls?: PeerTlsMaterial | null;
}

/** Per-peer counters that survive reconnects; several connections may add to them. */
export interface PeerCounters {
  sentFrames: number;
  /** Frames received from this peer on any connection (inbound messages and requests, replies). */
  receivedFrames: number;
  sentMessages: number;
  receivedMessages: number;
  /** Messages dropped: queue full, peer unreachable, or not encodable. */
  drops: number;
  /** Bytes of the frames dropped because the queue to this peer was full. */
  droppedBytes: number;
  /** Successful handshakes after the first one. */
  reconnects: number;
}

export interface PeerStats extends PeerCounters {
  id: NodeId;
  address: string;
  /** The outbound connection has completed its handshake. */
  connected: boolean;
  /** Bytes waiting on the outbound connection (encoded frames plus the batch of this tick). */
  queuedBytes: number;
  pendingRequests: number;
}

export interface TransportStats {
  nodeId: NodeId;
  /** Bound port once started, 0 before. */
  port: number;
  peers: PeerStats[];
  /** Inbound connections refused at handshake (wrong cluster, own id, unknown id without an address, wrong or missing secret). */
  refusedConnections: number;
  /** Inbound connections closed before their handshake was done: evicted for a newer one, or timed out. */
  evictedConnections: number;
  /** New connections closed at once: every slot held by handshaken peers, or the waiting ones that could make room still settling. */
  turnedAwayConnections: number;
  /** Connections closed because of an undecodable or oversize frame. */
  badFrames: number;
  /** Messages dropped because their destination is not a peer, or the transport is not running. */
  unroutableDrops: number;
  /** Ids outside the peer list currently learned from their handshakes (and dialed at the address they gave). */
  learnedPeers: number;
}

/** What the node runtime needs of a transport; a simulator can implement it in memory. */
export interface Transport {
  start(): Promise<{ port: number }>;
  /**
   * Non-blocking; batches per destination; drops (and counts) when a queue is full or a peer is
   * unreachable. A snapshot chunk's bytes are given over with its message: the caller never reads
   * them again (PeerTransport frees them once encoded, so the leader keeps no copy of a sent chunk).
   */
  send(msgs: Message[]): void;
  /** Writes what send() batched to the sockets now, instead of at the end of the current task. */
  flush(): void;
  /** Rejects with TransportError: "unreachable" | "timeout" | "closed" | "remote_error" | "invalid". */
  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Membership changed: connect to new peers, drop removed ones, redial changed addresses. */
  setPeers(peers: Map<NodeId, string>): void;
  stats(): TransportStats;
  stop(): Promise<void>;
}
