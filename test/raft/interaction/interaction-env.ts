// The interaction environment: a test cluster whose every step is a command of a transcript.
// Nothing moves unless a command says so: a Ready is handled by `process-ready`, a message is
// stepped by `deliver-msgs`, and `stabilize` repeats both until nothing moves, printing each step.
import type { ConfChange, Message, NodeId } from "../../../src/raft/index.ts";
import { bytes, Cluster } from "../harness.ts";
import type { Directive } from "./datadriven.ts";
import * as describe from "./describe.ts";

/** Bound on stabilize rounds: a livelock fails the transcript instead of hanging it. */
const MAX_ROUNDS = 1_000;

type Command = (d: Directive, out: string[]) => void;

export class InteractionEnv {
  private cluster: Cluster | null = null;
  private readonly isolated = new Set<NodeId>();
  private readonly commands: Record<string, Command> = {
    "add-nodes": (d, out) => this.addNodes(d, out),
    campaign: (d) => this.raft(this.id(d)).campaign(),
    propose: (d, out) => this.propose(d, out),
    "propose-conf-change": (d, out) => this.proposeConfChange(d, out),
    "transfer-leadership": (d) => this.raft(this.intArg(d, "from")).transferLeader(this.intArg(d, "to")),
    "read-index": (d) => this.raft(this.id(d)).readIndex(this.intArg(d, "ctx")),
    tick: (d) => this.tick(d),
    "tick-heartbeat": (d) => this.tickTimes(this.id(d), this.c().options.heartbeatTick),
    "tick-election": (d) => this.tickTimes(this.id(d), 2 * this.c().options.electionTick),
    "process-ready": (d, out) => this.ids(d).forEach((id) => this.processReady(id, out)),
    "deliver-msgs": (d, out) => this.ids(d).forEach((id) => this.deliver(id, out, d.args.get("drop") === "true")),
    stabilize: (d, out) => this.stabilize(d.positional.length > 0 ? this.ids(d) : this.allIds(), out),
    status: (d, out) => this.ids(d).forEach((id) => out.push(...describe.status(this.raft(id).status()))),
    "raft-log": (d, out) => this.raftLog(this.id(d), out),
    compact: (d, out) => out.push(`snapshot at ${this.c().compact(this.id(d)).meta.index}`),
    isolate: (d) => this.ids(d).forEach((id) => this.isolated.add(id)),
    heal: () => this.isolated.clear(),
    restart: (d) => this.ids(d).forEach((id) => this.restart(id)),
  };

  /** Runs one transcript command and returns what it printed. */
  handle(d: Directive): string {
    const command = this.commands[d.command];
    if (!command) throw new Error(`line ${d.line}: unknown command "${d.command}"`);
    const out: string[] = [];
    command(d, out);
    return out.join("\n");
  }

  private addNodes(d: Directive, out: string[]): void {
    const n = Number(d.positional[0]);
    const all = Array.from({ length: n }, (_, i) => i + 1);
    const list = (key: string, fallback: NodeId[]) => (d.args.has(key) ? d.args.get(key)!.split(",").filter(Boolean).map(Number) : fallback);
    const learners = list("learners", []);
    const voters = list("voters", all.filter((id) => !learners.includes(id)));
    this.cluster = new Cluster(voters, {
      learners,
      seed: Number(d.args.get("seed") ?? 1),
      preVote: d.args.get("prevote") !== "false",
      checkQuorum: d.args.get("checkquorum") !== "false",
      electionTick: Number(d.args.get("election-tick") ?? 10),
      heartbeatTick: Number(d.args.get("heartbeat-tick") ?? 1),
      // A small bound sends one entry per App, so a transcript can place entries one at a time.
      ...(d.args.has("max-msg-bytes") ? { maxMsgBytes: Number(d.args.get("max-msg-bytes")) } : {}),
    });
    out.push(`voters=(${voters.join(",")}) learners=(${learners.join(",")})`);
  }

  private propose(d: Directive, out: string[]): void {
    const r = this.raft(this.id(d)).propose(bytes(d.positional[1] ?? ""));
    if (!r.ok) out.push(`refused: ${r.reason}`);
  }

  private proposeConfChange(d: Directive, out: string[]): void {
    const [, kind, target] = d.positional;
    const id = Number(target);
    const cc: ConfChange =
      kind === "remove" ? { type: "removeNode", id } : { type: kind === "add-learner" ? "addLearner" : "addVoter", id, address: `127.0.0.1:${9000 + id}` };
    if (!this.c().nodes.has(id) && kind !== "remove") this.c().add(id);
    const r = this.raft(this.id(d)).proposeConfChange(cc);
    if (!r.ok) out.push(`refused: ${r.reason}: ${r.message}`);
  }

  private tick(d: Directive): void {
    this.tickTimes(this.id(d), Number(d.args.get("n") ?? 1));
  }

  private tickTimes(id: NodeId, n: number): void {
    for (let i = 0; i < n; i++) this.raft(id).tick();
  }

  private processReady(id: NodeId, out: string[]): boolean {
    const rd = this.c().processReady(id);
    if (rd === null) return false;
    out.push(...describe.ready(id, rd));
    return true;
  }

  /** Steps every message on the wire for `id`, in order (or drops them). */
  private deliver(id: NodeId, out: string[], drop: boolean): boolean {
    const c = this.c();
    const mine = c.wire.filter((m) => m.to === id);
    if (mine.length === 0) return false;
    c.wire = c.wire.filter((m) => m.to !== id);
    for (const m of mine) {
      const lost = drop || this.cutOff(m);
      out.push(`${lost ? "dropped" : ">"} ${describe.message(m)}`);
      if (!lost && c.nodes.has(id)) c.raft(id).step(m);
    }
    return true;
  }

  private stabilize(ids: NodeId[], out: string[]): void {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let moved = false;
      for (const id of ids) moved = this.processReady(id, out) || moved;
      for (const id of ids) moved = this.deliver(id, out, false) || moved;
      if (!moved) return;
    }
    throw new Error(`stabilize did not settle within ${MAX_ROUNDS} rounds`);
  }

  private raftLog(id: NodeId, out: string[]): void {
    const disk = this.c().node(id).disk;
    if (disk.snapshot) out.push(`snapshot ${disk.snapshot.meta.term}/${disk.snapshot.meta.index}`);
    out.push(...disk.entries.map(describe.entry));
    if (out.length === 0) out.push("log is empty");
  }

  private restart(id: NodeId): void {
    this.c().restart(id);
  }

  private cutOff(m: Message): boolean {
    return this.isolated.has(m.from) || this.isolated.has(m.to);
  }

  private c(): Cluster {
    if (!this.cluster) throw new Error("no cluster yet: start the transcript with add-nodes");
    return this.cluster;
  }

  private raft(id: NodeId) {
    return this.c().raft(id);
  }

  private allIds(): NodeId[] {
    return [...this.c().nodes.keys()].sort((a, b) => a - b);
  }

  private id(d: Directive): NodeId {
    const id = Number(d.positional[0]);
    if (!Number.isInteger(id) || id <= 0) throw new Error(`line ${d.line}: ${d.command} needs a node id, got "${d.positional[0]}"`);
    return id;
  }

  private ids(d: Directive): NodeId[] {
    return d.positional.map((p) => {
      const id = Number(p);
      if (!Number.isInteger(id) || id <= 0) throw new Error(`line ${d.line}: ${d.command}: not a node id: "${p}"`);
      return id;
    });
  }

  private intArg(d: Directive, key: string): number {
    const v = Number(d.args.get(key));
    if (!Number.isInteger(v)) throw new Error(`line ${d.line}: ${d.command} needs ${key}=<integer>`);
    return v;
  }
}
