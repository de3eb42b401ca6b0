// The runtime's Transport over the simulated network, one per life of a node: messages go to the
// peers the runtime named (others are dropped, as PeerTransport drops them), with the network's
// delays, losses and cuts; peer requests (forwarding) travel the same links with a deadline.
import type { Message, NodeId } from "../../src/raft/types.ts";
import type { TransportHandlers } from "../../src/node/runtime-options.ts";
import { TransportError } from "../../src/transport/errors.ts";
import type { PeerStats, Transport, TransportStats } from "../../src/transport/transport-types.ts";
import type { SimNetwork } from "./network.ts";
import type { VirtualTimers } from "./virtual-timers.ts";

export interface PeerDirectory {
  /** The live transport of `id`, or null when that node is down. */
  transportOf(id: NodeId): SimTransport | null;
}

export class SimTransport implements Transport {
  private peers = new Map<NodeId, string>();
  private running = false;
  private unroutable = 0;
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
      if (!this.running || !this.timers.alive || !this.peers.has(m.to)) {
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
    if (!this.running) return;
    this.timers.run(() => this.handlers.onMessages([m]));
  }

  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.running) return Promise.reject(new TransportError("closed", `transport of node ${this.nodeId} is stopped`));
    if (!this.peers.has(to)) return Promise.reject(new TransportError("unreachable", `node ${to} is not a peer of node ${this.nodeId}`));
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
    return { nodeId: this.nodeId, port: 0, peers, refusedConnections: 0, evictedConnections: 0, badFrames: 0, unroutableDrops: this.unroutable };
  }

  async stop(): Promise<void> {
    this.running = false;
  }
}
