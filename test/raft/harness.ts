// A tiny in-test cluster for the Raft scenarios: every node has a memory "disk", a toy state
// machine (the list of applied payloads), and a message pump that persists each Ready before its
// messages go on the wire. Randomness is seeded; nothing depends on wall time.
import { Raft, type Entry, type HardState, type Membership, type Message, type NodeId, type RaftConfig, type Ready, type ReadState, type Snapshot } from "../../src/raft/index.ts";
import { withSnapshotBytes } from "../../src/node/snapshot-sending.ts";
import type { LogStorage } from "../../src/storage/log-storage.ts";
import { seededRandom } from "../support/seeded-random.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

export function membership(voters: NodeId[], learners: NodeId[] = []): Membership {
  const addresses: Record<string, string> = {};
  for (const id of [...voters, ...learners]) addresses[String(id)] = `127.0.0.1:${9000 + id}`;
  return { voters, learners, addresses };
}

export interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
  /** Earlier snapshots the disk still holds, newest first (a leader may still be sending one). */
  older?: Snapshot[];
}

/** Snapshots a disk keeps besides the latest, as SqliteStorage keeps 3 in all by default. */
const OLDER_SNAPSHOTS = 2;

/** `snap` becomes the disk's latest snapshot; the one it replaces is kept among the older ones. */
function keepSnapshot(disk: Disk, snap: Snapshot): void {
  if (disk.snapshot !== null && disk.snapshot !== snap) disk.older = [disk.snapshot, ...(disk.older ?? [])].slice(0, OLDER_SNAPSHOTS);
  disk.snapshot = snap;
}

export interface Node {
  raft: Raft;
  disk: Disk;
  /** Payloads of applied normal entries, in order (the toy state machine). */
  applied: string[];
  appliedIndex: number;
  reads: ReadState[];
  installedSnapshots: number;
}

export type RaftFactory = (config: RaftConfig, restore: ConstructorParameters<typeof Raft>[1]) => Raft;

export interface ClusterOptions {
  seed?: number;
  electionTick?: number;
  heartbeatTick?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxMsgBytes?: number;
  maxInflight?: number;
  maxInflightBytes?: number;
  snapshotChunkBytes?: number;
  learners?: NodeId[];
  factory?: RaftFactory;
  /** Give each node a directory id ("d<id>"), as a formatted data dir has. */
  directoryIds?: boolean;
}

/** Bound on pump rounds in one stabilize(): a livelock fails the test instead of hanging it. */
const MAX_PUMP_ROUNDS = 10_000;

/** `YAKT_RAFT_TRACE=1 bun test test/raft/…` prints every delivered message (debugging aid). */
const TRACE = process.env.YAKT_RAFT_TRACE === "1";

function describeMessage(m: Message): string {
  const ents = m.entries.map((e) => `${e.index}@${e.term}`).join(",");
  return `${m.type} ${m.from}->${m.to} term=${m.term} index=${m.index} logTerm=${m.logTerm} commit=${m.commit} reject=${m.reject} hint=${m.rejectHint} ctx=${m.context} entries=[${ents}]`;
}

export class Cluster {
  readonly nodes = new Map<NodeId, Node>();
  /** Messages on the wire, delivered in order by stabilize(). */
  wire: Message[] = [];
  /** Every message ever sent, for assertions. */
  readonly sent: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly down = new Set<NodeId>();
  private readonly random: () => number;
  readonly options: Required<Omit<ClusterOptions, "learners" | "factory" | "directoryIds">> & Pick<ClusterOptions, "factory">;
  /** Each node's directory id (none: ""). */
  readonly directoryIds = new Map<NodeId, string>();
  readonly initial: Membership;
  /** Optional filter: return false to drop a message. */
  filter: (m: Message) => boolean = () => true;

  constructor(voters: NodeId[], opts: ClusterOptions = {}) {
    this.options = {
      seed: opts.seed ?? 1,
      electionTick: opts.electionTick ?? 10,
      heartbeatTick: opts.heartbeatTick ?? 1,
      preVote: opts.preVote ?? true,
      checkQuorum: opts.checkQuorum ?? true,
      maxMsgBytes: opts.maxMsgBytes ?? 1 << 20,
      maxInflight: opts.maxInflight ?? 64,
      maxInflightBytes: opts.maxInflightBytes ?? 1 << 24,
      snapshotChunkBytes: opts.snapshotChunkBytes ?? 1 << 16,
      factory: opts.factory,
    };
    this.random = seededRandom(this.options.seed);
    this.initial = membership(voters, opts.learners ?? []);
    if (opts.directoryIds === true) for (const id of [...voters, ...(opts.learners ?? [])]) this.directoryIds.set(id, `d${id}`);
    for (const id of [...voters, ...(opts.learners ?? [])]) this.add(id);
  }

  config(id: NodeId): RaftConfig {
    const o = this.options;
    return {
      id,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      random: this.random,
      maxMsgBytes: o.maxMsgBytes,
      maxInflight: o.maxInflight,
      maxInflightBytes: o.maxInflightBytes,
      snapshotChunkBytes: o.snapshotChunkBytes,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      initialMembership: this.initial,
      directoryId: this.directoryIds.get(id) ?? "",
    };
  }

  /** A brand-new node with an empty disk (joins with the initial membership as its bootstrap view). */
  add(id: NodeId, disk?: Disk): Node {
    const d = disk ?? { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] };
    const node: Node = { raft: this.boot(id, d), disk: d, applied: [], appliedIndex: d.snapshot?.meta.index ?? 0, reads: [], installedSnapshots: 0 };
    if (d.snapshot !== null && d.snapshot.data.byteLength > 0) node.applied = JSON.parse(text(d.snapshot.data)) as string[];
    this.nodes.set(id, node);
    return node;
  }

  private boot(id: NodeId, d: Disk): Raft {
    const restore = {
      hardState: { ...d.hardState },
      snapshot: d.snapshot,
      entries: [...d.entries],
      applied: d.snapshot?.meta.index ?? 0,
    };
    const f = this.options.factory;
    return f ? f(this.config(id), restore) : new Raft(this.config(id), restore);
  }

  /** Crash and restart from the disk: everything not persisted is lost. */
  restart(id: NodeId): Node {
    this.wire = this.wire.filter((m) => m.to !== id && m.from !== id);
    return this.add(id, this.node(id).disk);
  }

  /** The node's disk is wiped and formatted anew with `directoryId`; it restarts from nothing. */
  wipe(id: NodeId, directoryId: string): Node {
    this.wire = this.wire.filter((m) => m.to !== id && m.from !== id);
    this.directoryIds.set(id, directoryId);
    return this.add(id);
  }

  node(id: NodeId): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id} in the test cluster`);
    return n;
  }

  raft(id: NodeId): Raft {
    return this.node(id).raft;
  }

  /** Drop all traffic between a and b, both ways. */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  heal(): void {
    this.cut.clear();
    this.down.clear();
  }

  /** Stop delivering to and from `id` (it keeps its state). */
  stop(id: NodeId): void {
    this.down.add(id);
  }

  private deliverable(m: Message): boolean {
    return !this.cut.has(`${m.from}-${m.to}`) && !this.down.has(m.to) && !this.down.has(m.from) && this.nodes.has(m.to) && this.filter(m);
  }

  /** Persist-then-send for one node's pending Ready; returns the Ready handled, or null. */
  processReady(id: NodeId): Ready | null {
    const node = this.node(id);
    if (!node.raft.hasReady()) return null;
    const rd = node.raft.ready();
    persist(node.disk, rd);
    const gone: [NodeId, number][] = [];
    for (const m of withSnapshotBytes(rd.messages, diskReader(node.disk), this.options.snapshotChunkBytes, (to, index) => gone.push([to, index]))) {
      this.sent.push(m);
      this.wire.push(m);
    }
    if (rd.snapshot !== null) {
      node.applied = rd.snapshot.data.byteLength === 0 ? [] : (JSON.parse(text(rd.snapshot.data)) as string[]);
      node.appliedIndex = rd.snapshot.meta.index;
      node.installedSnapshots++;
    }
    for (const e of rd.committed) {
      if (e.index !== node.appliedIndex + 1) throw new Error(`node ${id} applies ${e.index} after ${node.appliedIndex}`);
      node.appliedIndex = e.index;
      if (e.type === "normal" && e.data.byteLength > 0) node.applied.push(text(e.data));
    }
    node.reads.push(...rd.readStates);
    node.raft.advance(rd);
    for (const [to, index] of gone) node.raft.snapshotUnavailable(to, index);
    return rd;
  }

  /** Runs Readys and delivers messages until nothing moves. */
  stabilize(): void {
    for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
      let moved = false;
      for (const id of this.nodes.keys()) if (!this.down.has(id)) moved = this.processReady(id) !== null || moved;
      const batch = this.wire;
      this.wire = [];
      if (TRACE) for (const m of batch) console.log(describeMessage(m));
      for (const m of batch) if (this.deliverable(m)) this.raft(m.to).step(m);
      if (!moved && batch.length === 0) return;
    }
    throw new Error(`cluster did not settle within ${MAX_PUMP_ROUNDS} rounds`);
  }

  /** Ticks every running node `n` times, stabilizing after each tick. */
  tick(n = 1, ids: NodeId[] = [...this.nodes.keys()]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) if (!this.down.has(id)) this.raft(id).tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and runs the election to its end. */
  elect(id: NodeId): void {
    this.raft(id).campaign();
    this.stabilize();
  }

  leaders(): NodeId[] {
    return [...this.nodes].filter(([id, n]) => !this.down.has(id) && n.raft.status().role === "leader").map(([id]) => id);
  }

  /** Ticks until exactly one leader exists (bounded); returns it. */
  awaitLeader(maxTicks = 200): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      const ls = this.leaders();
      if (ls.length === 1) return ls[0];
      this.tick();
    }
    throw new Error(`no single leader after ${maxTicks} ticks: leaders ${JSON.stringify(this.leaders())}`);
  }

  /** The app on `id` snapshots its state at its applied index and compacts the log up to it. */
  compact(id: NodeId): Snapshot {
    const node = this.node(id);
    const index = node.appliedIndex;
    const term = node.disk.entries.find((e) => e.index === index)?.term ?? node.disk.snapshot?.meta.term ?? 0;
    const snap: Snapshot = { meta: { index, term, membership: node.raft.status().membership }, data: bytes(JSON.stringify(node.applied)) };
    node.raft.compact(snap);
    keepSnapshot(node.disk, snap);
    node.disk.entries = node.disk.entries.filter((e) => e.index > index);
    return snap;
  }

  propose(id: NodeId, payload: string): number {
    const r = this.raft(id).propose(bytes(payload));
    if (!r.ok) throw new Error(`proposal on ${id} refused: ${r.reason} ${r.message}`);
    this.stabilize();
    return r.index;
  }
}

/**
 * The disk as the snapshot store a leader fills its chunks from (LogStorage.readSnapshotChunk): the
 * snapshot named, if the disk still holds it, else null (pruned).
 */
export function diskReader(disk: Disk): Pick<LogStorage, "readSnapshotChunk"> {
  return {
    readSnapshotChunk: (index, size, offset, length) => {
      const s = [disk.snapshot, ...(disk.older ?? [])].find((x) => x !== null && x.meta.index === index && x.data.byteLength === size);
      return s === undefined || s === null ? null : s.data.slice(offset, offset + length);
    },
  };
}

/** The disk side of the Ready contract: snapshot, then entries (replacing a suffix), then hard state. */
export function persist(disk: Disk, rd: { snapshot: Snapshot | null; entries: Entry[]; hardState: HardState | null }): void {
  if (rd.snapshot !== null) {
    keepSnapshot(disk, rd.snapshot);
    disk.entries = disk.entries.filter((e) => e.index > rd.snapshot!.meta.index);
    if (disk.entries.length > 0 && disk.entries[0].index !== rd.snapshot.meta.index + 1) disk.entries = [];
  }
  if (rd.entries.length > 0) {
    const first = rd.entries[0].index;
    disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries);
  }
  if (rd.hardState !== null) disk.hardState = { ...rd.hardState };
}
