// N RaftRuntimes in this process over real PeerTransports on 127.0.0.1, each with its own storage
// (MemoryStorage, or SqliteStorage in a temp dir so a node can be stopped and restarted from disk).
// A node can be frozen, as SIGSTOP would: it hears nothing, says nothing, and the peer requests it
// receives wait until it is thawed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftRuntime } from "../../../src/node/raft-runtime.ts";
import type { RuntimeOptions } from "../../../src/node/runtime-options.ts";
import { IntervalTicker } from "../../../src/node/ticker.ts";
import type { Membership, NodeId } from "../../../src/raft/types.ts";
import { type LogStorage, MemoryStorage, SqliteStorage } from "../../../src/storage/index.ts";
import { PeerTransport } from "../../../src/transport/peer-transport.ts";
import { freePorts } from "./free-ports.ts";
import { KvStateMachine } from "./kv-state-machine.ts";
import { seededRandom } from "../../support/seeded-random.ts";
import { waitUntil } from "./wait-until.ts";

export const CLUSTER_ID = "test-cluster";

/** What a frozen node does not do: take messages, send them, or answer requests (they wait). */
class Freezer {
  frozen = false;
  private held: (() => void)[] = [];

  /** Requests that arrived while frozen and wait for the thaw. */
  get heldRequests(): number {
    return this.held.length;
  }

  request(serve: () => Promise<Uint8Array>): Promise<Uint8Array> {
    if (!this.frozen) return serve();
    return new Promise((resolve, reject) => this.held.push(() => serve().then(resolve, reject)));
  }

  thaw(): void {
    this.frozen = false;
    for (const release of this.held.splice(0)) release();
  }
}

export interface TestNode {
  id: NodeId;
  port: number;
  runtime: RaftRuntime;
  sm: KvStateMachine;
  storage: LogStorage;
}

export interface ClusterOptions {
  size: number;
  sqlite?: boolean;
  seed?: number;
  tickMs?: number;
  overrides?: Partial<RuntimeOptions>;
  /** Each node's state machine; a KvStateMachine by default. */
  stateMachine?: (id: NodeId) => KvStateMachine;
}

export class RuntimeCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  readonly ports = new Map<NodeId, number>();
  readonly logs: string[] = [];
  private readonly dir: string;
  private readonly freezers = new Map<NodeId, Freezer>();

  constructor(private readonly opts: ClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "yakt-node-test-"));
  }

  static async start(opts: ClusterOptions): Promise<RuntimeCluster> {
    const c = new RuntimeCluster(opts);
    const ids = Array.from({ length: opts.size }, (_, i) => i + 1);
    const ports = freePorts(ids.length);
    ids.forEach((id, i) => c.ports.set(id, ports[i]));
    const membership = c.membershipOf(ids);
    for (const id of ids) await c.startNode(id, membership);
    return c;
  }

  membershipOf(voters: NodeId[]): Membership {
    const addresses: Record<string, string> = {};
    for (const [id, port] of this.ports) addresses[String(id)] = `127.0.0.1:${port}`;
    return { voters, learners: [], addresses };
  }

  /** Reserve a port for a node that will join later. */
  reservePort(id: NodeId): string {
    const [port] = freePorts(1);
    this.ports.set(id, port);
    return `127.0.0.1:${port}`;
  }

  async startNode(id: NodeId, initialMembership: Membership): Promise<TestNode> {
    const port = this.ports.get(id);
    if (port === undefined) throw new Error(`no port for node ${id}`);
    const storage = this.openStorage(id);
    storage.format({ clusterId: CLUSTER_ID, nodeId: id });
    const sm = this.opts.stateMachine?.(id) ?? new KvStateMachine();
    const tickMs = this.opts.tickMs ?? 10;
    const freezer = new Freezer();
    this.freezers.set(id, freezer);
    const runtime = new RaftRuntime({
      clusterId: CLUSTER_ID,
      nodeId: id,
      storage,
      stateMachine: sm,
      initialMembership,
      ticker: new IntervalTicker(tickMs),
      random: seededRandom((this.opts.seed ?? 1) * 1000 + id),
      logSink: (line) => this.logs.push(line),
      transport: (handlers) => {
        const transport = new PeerTransport({
          clusterId: CLUSTER_ID,
          nodeId: id,
          listenHost: "127.0.0.1",
          listenPort: port,
          peers: new Map(),
          onMessages: (msgs) => {
            if (!freezer.frozen) handlers.onMessages(msgs);
          },
          onRequest: (from, payload) => freezer.request(() => handlers.onRequest(from, payload)),
          limits: { backoffMinMs: 10, backoffMaxMs: 100 },
          random: seededRandom(id),
        });
        const send = transport.send.bind(transport);
        transport.send = (msgs) => {
          if (!freezer.frozen) send(msgs);
        };
        return transport;
      },
      ...this.opts.overrides,
    });
    try {
      await runtime.start();
    } catch (e) {
      storage.close(); // a refused start (a damaged store) must not keep the file locked
      throw e;
    }
    const node = { id, port, runtime, sm, storage };
    this.nodes.set(id, node);
    return node;
  }

  /** The node stops hearing, speaking and answering (its timers still run: it is cut off, not dead). */
  freeze(id: NodeId): void {
    this.freezerOf(id).frozen = true;
  }

  /** The node hears and speaks again; the requests it held are served now. */
  thaw(id: NodeId): void {
    this.freezerOf(id).thaw();
  }

  heldRequests(id: NodeId): number {
    return this.freezerOf(id).heldRequests;
  }

  async stopNode(id: NodeId): Promise<void> {
    const node = this.nodes.get(id);
    if (!node) return;
    this.nodes.delete(id);
    await node.runtime.stop();
  }

  /** Start a stopped node again from what its storage kept (a fresh, empty state machine). */
  restartNode(id: NodeId, initialMembership: Membership): Promise<TestNode> {
    if (!this.opts.sqlite) throw new Error("restart needs sqlite storage");
    return this.startNode(id, initialMembership);
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`node ${id} is not running`);
    return n;
  }

  /** One running node is leader and every running node agrees on it. */
  async waitForLeader(timeoutMs = 10_000): Promise<TestNode> {
    return waitUntil(
      "one agreed leader",
      () => {
        const running = [...this.nodes.values()];
        const leaders = running.filter((n) => n.runtime.isLeader());
        if (leaders.length !== 1) return null;
        const id = leaders[0].id;
        return running.every((n) => n.runtime.leaderId() === id) ? leaders[0] : null;
      },
      timeoutMs,
    );
  }

  /** Every running node has applied at least `index`. */
  async waitApplied(index: number, timeoutMs = 10_000): Promise<void> {
    await waitUntil(`all nodes applied ${index}`, () => [...this.nodes.values()].every((n) => n.runtime.appliedIndex() >= index), timeoutMs);
  }

  follower(): TestNode {
    const f = [...this.nodes.values()].find((n) => !n.runtime.isLeader());
    if (!f) throw new Error("no follower running");
    return f;
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stopNode(id);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private freezerOf(id: NodeId): Freezer {
    const freezer = this.freezers.get(id);
    if (!freezer) throw new Error(`node ${id} was never started`);
    return freezer;
  }

  /** Where a sqlite cluster keeps node `id`'s database. */
  dbPath(id: NodeId): string {
    return join(this.dir, `node-${id}.db`);
  }

  private openStorage(id: NodeId): LogStorage {
    return this.opts.sqlite ? SqliteStorage.open(this.dbPath(id)) : new MemoryStorage();
  }
}
