// The runtime's Transport over the simulated network, one per life of a node: messages go to the
// peers the runtime named (others are dropped, as PeerTransport drops them), with the network's
// delays, losses and cuts; peer requests (forwarding) travel the same links with a deadline. It
// admits what PeerTransport's handshake admits: messages from its peers, and from an id outside
// them only when that node advertises an address (its own entry in the peers its runtime gave it),
// which it then learns as a route back, in a bounded set that forgets idle entries
// (src/transport/learned-peers.ts, the same bookkeeping and bounds as the real transport).
import type { Message, NodeId } from "../../src/raft/types.ts";
import type { TransportHandlers } from "../../src/node/runtime-options.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { LearnedPeers } from "../../src/transport/learned-peers.ts";
import { DEFAULT_LIMITS } from "../../src/transport/limits.ts";
import type { PeerStats, Transport, TransportStats } from "../../src/transport/transport-types.ts";
import type { SimNetwork } from "./network.ts";
import type { VirtualTimers } from "./virtual-timers.ts";

export interface PeerDirectory {
  /** The live transport of `id`, or null when that node is down. */
  transportOf(id: NodeId): SimTransport | null;
}

/**
 * What each node of one simulated network advertises, as its Hello would carry it: set by the node's
 * transport from the peers its runtime gives it, read by the receiver of its messages. Keyed by the
 * network so simulations in one process never see each other's nodes.
 */
const advertisedOn = new WeakMap<SimNetwork, Map<NodeId, string>>();

function advertisedBy(network: SimNetwork): Map<NodeId, string> {
  let map = advertisedOn.get(network);
  if (map === undefined) {
    map = new Map();
    advertisedOn.set(network, map);
  }
  return map;
}

export class SimTransport implements Transport {
  private peers = new Map<NodeId, string>();
  private readonly learned = new LearnedPeers(DEFAULT_LIMITS.maxLearnedPeers, DEFAULT_LIMITS.learnedPeerIdleMs);
  private running = false;
  private unroutable = 0;
  private refused = 0;
  private sent = 0;

  constructor(
    readonly nodeId: NodeId,
    private readonly handlers: TransportHandlers,
    private readonly network: SimNetwork,
    private readonly timers: VirtualTimers,
    private readonly directory: PeerDirectory,
  ) {}

  async start(): Promise<{ port: number }> {
    this.running = true;
    return { port: 0 };
  }

  send(msgs: Message[]): void {
    for (const m of msgs) {
      if (!this.running || !this.timers.alive || !this.routes(m.to)) {
        this.unroutable++;
        continue;
      }
      this.sent++;
      this.network.send(m);
    }
  }

  /** Sends leave at once here, so there is no batch to write out early. */
  flush(): void {}

  /** A message arrived for this node: it runs as this process (queued while paused, lost when dead). */
  receive(m: Message): void {
    if (!this.running || !this.admits(m.from)) return;
    this.timers.run(() => this.handlers.onMessages([m]));
  }

  /** As the real handshake: a peer, or an id that advertises where it listens (then learned). */
  private admits(from: NodeId): boolean {
    if (this.peers.has(from)) return true;
    const address = advertisedBy(this.network).get(from) ?? "";
    if (address === "") {
      this.refused++;
      return false;
    }
    // The oldest learned id, if dropped for room, has no connection here to close.
    this.learned.learn(from, address, this.timers.now());
    return true;
  }

  /** A peer, or a learned id heard from within the idle bound (an idle one is forgotten here). */
  private routes(to: NodeId): boolean {
    if (this.peers.has(to)) return true;
    for (const id of this.learned.idle(this.timers.now(), () => false)) this.learned.forget(id);
    return this.learned.get(to) !== undefined;
  }

  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.running) return Promise.reject(new TransportError("closed", `transport of node ${this.nodeId} is stopped`));
    if (!this.routes(to)) return Promise.reject(new TransportError("unreachable", `node ${to} is not a peer of node ${this.nodeId}`));
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.timers.clearTimeout(timer);
        f();
      };
      const timer = this.timers.setTimeout(() => settle(() => reject(new TransportError("timeout", `request to node ${to} got no reply within ${timeoutMs} ms`))), timeoutMs);
      this.network.carry(this.nodeId, to, `request ${this.nodeId}→${to}`, () => {
        const peer = this.directory.transportOf(to);
        if (peer === null) return; // the peer is down: the caller's deadline answers
        peer.serve(this.nodeId, payload, (reply) => {
          this.network.carry(to, this.nodeId, `reply ${to}→${this.nodeId}`, () => this.timers.run(() => settle(() => reply(resolve, reject))));
        });
      });
    });
  }

  /** Serve a peer's request as this process; `answer` carries the outcome back. */
  private serve(from: NodeId, payload: Uint8Array, answer: (settle: (ok: (b: Uint8Array) => void, fail: (e: Error) => void) => void) => void): void {
    this.timers.run(() => {
      this.handlers.onRequest(from, payload).then(
        (bytes) => answer((ok) => ok(bytes)),
        (e: unknown) => answer((_ok, fail) => fail(new TransportError("remote_error", e instanceof Error ? e.message : String(e)))),
      );
    });
  }

  setPeers(peers: Map<NodeId, string>): void {
    this.peers = new Map([...peers].filter(([id]) => id !== this.nodeId));
    for (const id of this.peers.keys()) this.learned.forget(id); // the membership's address wins
    // The simulated members' addresses are symbolic ("sim-4"), so none is an unspecified host.
    advertisedBy(this.network).set(this.nodeId, peers.get(this.nodeId) ?? "");
  }

  stats(): TransportStats {
    const peers: PeerStats[] = [...this.peers].map(([id, address]) => ({
      id,
      address,
      connected: this.directory.transportOf(id) !== null,
      queuedBytes: 0,
      pendingRequests: 0,
      sentFrames: 0,
      receivedFrames: 0,
      sentMessages: 0,
      receivedMessages: 0,
      drops: 0,
      droppedBytes: 0,
      reconnects: 0,
    }));
    return { nodeId: this.nodeId, port: 0, peers, refusedConnections: this.refused, evictedConnections: 0, turnedAwayConnections: 0, badFrames: 0, unroutableDrops: this.unroutable, learnedPeers: this.learned.size };
  }

  async stop(): Promise<void> {
    this.running = false;
  }
}
