// The simulated clients. Each runs one operation at a time: a put is proposed to the node it
// believes leads (moving on after not_leader) and is known once that node applies the entry —
// same index and term: done; another term there: it never happened. A get asks a node for a read
// index and reads the KV store once that node has applied it; on the real runtime some gets are
// forwarded instead: the node picked forwards them to its leader, which reads behind its barrier. Whatever outlives its deadline (or
// its node) ends as "unknown outcome" for a put and is dropped for a get (a read changes nothing).
import type { Entry, NodeId, ReadState } from "../../src/raft/types.ts";
import type { EventQueue } from "./event-queue.ts";
import type { KvInput, KvOperation } from "./history.ts";
import { encodeCommand } from "./kv-store.ts";
import type { Prng } from "./prng.ts";
import { RuntimeNode, type GetReply } from "./runtime-node.ts";
import type { SimMember } from "./sim-member.ts";
import type { SimNode } from "./sim-node.ts";

/** Virtual ms a client waits before retrying when no leader is known. */
const NO_LEADER_BACKOFF = 20;

export interface ClientOptions {
  count: number;
  keys: number;
  /** Virtual ms after which an operation without an answer ends. */
  opTimeout: number;
  maxAttempts: number;
  thinkTime: [number, number];
  readRate: number;
  /** Runtime mode: share of gets sent forwarded (to whichever node the client picked, which forwards them to its leader). */
  forwardRate: number;
}

interface PendingOp {
  client: number;
  input: KvInput;
  call: number;
  attempts: number;
  done: boolean;
}

interface PutWait {
  op: PendingOp;
  term: number;
}

export interface AckedWrite {
  key: string;
  value: string;
  index: number;
}

export class Clients {
  readonly history: KvOperation[] = [];
  readonly acked: AckedWrite[] = [];
  private readonly open = new Set<PendingOp>();
  private readonly puts = new Map<NodeId, Map<number, PutWait>>();
  private readonly readIndexWaits = new Map<NodeId, Map<number, PendingOp>>();
  private readonly applyWaits = new Map<NodeId, { index: number; op: PendingOp }[]>();
  private readonly leaderGuess: NodeId[] = [];
  private nextCtx = 1;
  private nextValue = 1;
  private stopped = false;
  unknown = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Prng,
    private readonly nodes: readonly SimMember[],
    private readonly options: ClientOptions,
    /** Injected runtime bug: serve reads without waiting for the read index to be applied. */
    private readonly readBeforeApplied: boolean,
    private readonly trace: (line: string) => void,
  ) {}

  start(): void {
    for (let c = 0; c < this.options.count; c++) {
      this.leaderGuess.push(this.rng.pick(this.nodes).id);
      this.scheduleNext(c);
    }
  }

  /** No new operations; those in flight may still finish. */
  stop(): void {
    this.stopped = true;
  }

  /** End of run: whatever is still open ends now (puts unknown, gets dropped). */
  finish(): void {
    for (const op of [...this.open]) this.end(op, "unknown", null);
  }

  applied(node: SimMember, e: Entry): void {
    const waits = this.puts.get(node.id);
    const w = waits?.get(e.index);
    if (w !== undefined) {
      waits!.delete(e.index);
      if (w.term === e.term) {
        this.acked.push({ key: w.op.input.key, value: (w.op.input as { value: string }).value, index: e.index });
        this.end(w.op, "ok", null);
      } else {
        this.end(w.op, "failed", null); // another entry holds its index: it can never be committed
      }
    }
    this.serveReads(node);
  }

  snapshotInstalled(node: SimMember, index: number): void {
    const waits = this.puts.get(node.id);
    for (const [at, w] of waits ?? []) {
      if (at <= index) {
        waits!.delete(at);
        this.end(w.op, "unknown", null); // the entry went by inside a snapshot: outcome not visible here
      }
    }
    this.serveReads(node);
  }

  readState(node: SimNode, rs: ReadState): void {
    const waits = this.readIndexWaits.get(node.id);
    const op = waits?.get(rs.ctx);
    if (op === undefined) return;
    waits!.delete(rs.ctx);
    if (op.done) return;
    if (!rs.ok) {
      this.retry(op, NO_LEADER_BACKOFF);
      return;
    }
    if (this.readBeforeApplied) {
      this.end(op, "ok", node.kv.get(op.input.key));
      return;
    }
    this.waitList(this.applyWaits, node.id).push({ index: rs.index, op });
    this.serveReads(node);
  }

  crashed(node: SimMember): void {
    for (const w of this.puts.get(node.id)?.values() ?? []) this.end(w.op, "unknown", null);
    for (const op of this.readIndexWaits.get(node.id)?.values() ?? []) this.end(op, "unknown", null);
    for (const r of this.applyWaits.get(node.id) ?? []) this.end(r.op, "unknown", null);
    this.puts.delete(node.id);
    this.readIndexWaits.delete(node.id);
    this.applyWaits.delete(node.id);
  }

  private scheduleNext(client: number): void {
    if (this.stopped) return;
    const [lo, hi] = this.options.thinkTime;
    this.queue.after(this.rng.int(lo, hi), `c${client} invoke`, () => this.invoke(client));
  }

  private invoke(client: number): void {
    if (this.stopped) return;
    const key = `k${this.rng.int(0, this.options.keys - 1)}`;
    const input: KvInput = this.rng.chance(this.options.readRate)
      ? { kind: "get", key }
      : { kind: "put", key, value: `v${this.nextValue++}` };
    const op: PendingOp = { client, input, call: this.queue.now(), attempts: 0, done: false };
    this.open.add(op);
    this.trace(`c${client} invoke ${input.kind === "put" ? `put ${key}=${input.value}` : `get ${key}`}`);
    this.queue.after(this.options.opTimeout, `c${client} timeout`, () => this.end(op, "unknown", null));
    this.attempt(op);
  }

  private attempt(op: PendingOp): void {
    if (op.done) return;
    op.attempts++;
    const node = this.target(op);
    if (node === undefined) {
      this.retry(op, NO_LEADER_BACKOFF);
      return;
    }
    if (node instanceof RuntimeNode) this.throughRuntime(op, node);
    else if (op.input.kind === "put") this.propose(op, node);
    else this.askReadIndex(op, node);
  }

  private target(op: PendingOp): SimMember | undefined {
    const up = this.nodes.filter((n) => n.isUp());
    if (up.length === 0) return undefined;
    const guess = up.find((n) => n.id === this.leaderGuess[op.client]);
    // Reads go to a random node now and then, to exercise follower reads.
    const anyNode = op.input.kind === "get" && this.rng.chance(0.3);
    return guess !== undefined && !anyNode ? guess : this.rng.pick(up);
  }

  private propose(op: PendingOp, node: SimNode): void {
    const { key, value } = op.input as { key: string; value: string };
    node.act((core) => {
      if (op.done) return;
      const r = core.propose(encodeCommand({ key, value }));
      if (r.ok) {
        this.leaderGuess[op.client] = node.id;
        let waits = this.puts.get(node.id);
        if (waits === undefined) this.puts.set(node.id, (waits = new Map()));
        waits.set(r.index, { op, term: r.term });
        return;
      }
      this.leaderGuess[op.client] = r.leader !== 0 ? r.leader : this.rng.pick(this.nodes).id;
      // Straight to a named leader; otherwise give the cluster time to elect or finish a change.
      this.retry(op, r.reason === "not_leader" && r.leader !== 0 ? 1 : NO_LEADER_BACKOFF);
    });
  }

  /** The runtime's own answers: a propose that resolves once applied here, a read barrier. */
  private throughRuntime(op: PendingOp, node: RuntimeNode): void {
    const input = op.input;
    if (input.kind === "get") {
      const answer = (r: GetReply) => {
        if (r.kind === "ok") this.end(op, "ok", r.value);
        else if (r.kind === "retry") this.retry(op, NO_LEADER_BACKOFF);
        else this.end(op, "unknown", null);
      };
      if (this.rng.chance(this.options.forwardRate)) {
        this.trace(`c${op.client} get ${input.key} forwarded through n${node.id}`);
        node.forwardedGet(input.key, answer);
      } else {
        node.get(input.key, answer);
      }
      return;
    }
    node.put(encodeCommand({ key: input.key, value: input.value }), (r) => {
      if (r.kind === "ok") {
        this.leaderGuess[op.client] = node.id;
        this.acked.push({ key: input.key, value: input.value, index: r.index });
        this.end(op, "ok", null);
      } else if (r.kind === "refused") {
        this.leaderGuess[op.client] = r.leader !== 0 ? r.leader : this.rng.pick(this.nodes).id;
        this.retry(op, r.leader !== 0 ? 1 : NO_LEADER_BACKOFF);
      } else {
        this.end(op, r.kind, null);
      }
    });
  }

  private askReadIndex(op: PendingOp, node: SimNode): void {
    const ctx = this.nextCtx++;
    let waits = this.readIndexWaits.get(node.id);
    if (waits === undefined) this.readIndexWaits.set(node.id, (waits = new Map()));
    waits.set(ctx, op);
    node.act((core) => core.readIndex(ctx));
  }

  private retry(op: PendingOp, delay: number): void {
    if (op.done) return;
    // Nothing of this operation took effect yet (refused proposal or unconfirmed read): giving up is clean.
    if (op.attempts >= this.options.maxAttempts) {
      this.end(op, "failed", null);
      return;
    }
    this.queue.after(delay, `c${op.client} retry`, () => this.attempt(op));
  }

  private serveReads(node: SimMember): void {
    const waits = this.applyWaits.get(node.id);
    if (waits === undefined || waits.length === 0) return;
    const ready = waits.filter((w) => w.index <= node.applied);
    if (ready.length === 0) return;
    this.applyWaits.set(node.id, waits.filter((w) => w.index > node.applied));
    for (const w of ready) this.end(w.op, "ok", node.kv.get(w.op.input.key));
  }

  private waitList<T>(m: Map<NodeId, T[]>, id: NodeId): T[] {
    let list = m.get(id);
    if (list === undefined) m.set(id, (list = []));
    return list;
  }

  /** Record the outcome once. "failed" means it certainly did not happen: it leaves no trace. */
  private end(op: PendingOp, outcome: "ok" | "unknown" | "failed", output: string | null): void {
    if (op.done) return;
    op.done = true;
    this.open.delete(op);
    this.trace(`c${op.client} ${op.input.kind} ${op.input.key} ${outcome}${op.input.kind === "get" && outcome === "ok" ? ` → ${String(output)}` : ""}`);
    if (outcome === "ok") this.history.push({ client: op.client, input: op.input, output, call: op.call, ret: this.queue.now() });
    if (outcome === "unknown" && op.input.kind === "put") {
      this.unknown++;
      this.history.push({ client: op.client, input: op.input, output: null, call: op.call, ret: Infinity });
    }
    this.scheduleNext(op.client);
  }
}
