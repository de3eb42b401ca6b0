// Shared helpers of the transport tests: bounded polling, a seeded PRNG, message builders, and a
// harness that starts transports on 127.0.0.1 port 0 and stops every one of them.
import { emptyMessage } from "../../src/raft/types.ts";
import type { Message, MessageType, NodeId } from "../../src/raft/types.ts";
import { PeerTransport } from "../../src/transport/peer-transport.ts";
import type { TransportLimits, TransportOptions } from "../../src/transport/transport-types.ts";

/** Poll `check` until it holds; fail with `what` after timeoutMs. Every wait in these tests is bounded. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await Bun.sleep(5);
  }
}

import { seededRandom } from "../support/seeded-random.ts";

export { seededRandom };

export function msg(type: MessageType, from: NodeId, to: NodeId, term: number, extra: Partial<Message> = {}): Message {
  return { ...emptyMessage(type, from, to, term), ...extra };
}

export interface Node {
  id: NodeId;
  transport: PeerTransport;
  port: number;
  received: Message[];
  logs: { event: string; fields: Record<string, unknown> }[];
}

export const CLUSTER = "test-cluster";
/** Fast redials so reconnect tests finish quickly; still exponential with jitter. */
export const FAST_LIMITS: Partial<TransportLimits> = { backoffMinMs: 10, backoffMaxMs: 100, connectTimeoutMs: 2_000 };

/** Starts transports and remembers them, so `stopAll` can close every socket at the end of a test. */
export class Harness {
  private readonly started: PeerTransport[] = [];

  /** Start node `id` with the given peer map (addresses may still point at port 1 until setPeers). */
  async start(id: NodeId, peers: Map<NodeId, string>, overrides: Partial<TransportOptions> = {}): Promise<Node> {
    const received: Message[] = [];
    const logs: Node["logs"] = [];
    const transport = new PeerTransport({
      clusterId: CLUSTER,
      nodeId: id,
      listenHost: "127.0.0.1",
      listenPort: 0,
      peers,
      onMessages: (msgs) => received.push(...msgs),
      onRequest: async (from, payload) => new Uint8Array([from, ...payload]),
      log: (event, fields) => logs.push({ event, fields }),
      random: seededRandom(id),
      limits: FAST_LIMITS,
      ...overrides,
    });
    const { port } = await transport.start();
    this.started.push(transport);
    return { id, transport, port, received, logs };
  }

  /** Start `ids` fully meshed: listeners first (ports are ephemeral), then tell each its peers. */
  async mesh(ids: NodeId[], overrides: Partial<TransportOptions> = {}): Promise<Node[]> {
    const nodes: Node[] = [];
    for (const id of ids) nodes.push(await this.start(id, new Map(), { ...overrides, peers: new Map() }));
    const addresses = new Map(nodes.map((n) => [n.id, `127.0.0.1:${n.port}`]));
    for (const n of nodes) n.transport.setPeers(addresses);
    await waitFor("all links connected", () => nodes.every((n) => n.transport.stats().peers.every((p) => p.connected)));
    return nodes;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((t) => t.stop()));
    this.started.length = 0;
  }
}
