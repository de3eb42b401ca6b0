// One simulated run: N nodes running the real node runtime (or, in core mode, the real core under
// the simulator's own Ready loop), clients, the seed's faults, the safety checks after
// every step; then every fault healed, liveness (a leader and a fresh committed write within a
// bounded virtual time), catch-up of every member, acknowledged writes kept, identical replicas and
// a linearizable client history. Any failure becomes a SimFailure naming the seed and the check.
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import type { Entry, Membership, NodeId, Ready } from "../../src/raft/types.ts";
import { Clients } from "./clients.ts";
import type { CoreFactory } from "./core.ts";
import { EventQueue } from "./event-queue.ts";
import { FaultInjector, type FaultKind } from "./faults.ts";
import { encodeCommand } from "./kv-store.ts";
import { checkLinearizable } from "./linearizability.ts";
import { kvRegisterModel } from "./model.ts";
import { SimNetwork, type NetworkStats } from "./network.ts";
import { Prng } from "./prng.ts";
import { realCore } from "./real-core.ts";
import { SafetyChecker } from "./safety-checker.ts";
import type { SimConfig } from "./sim-config.ts";
import { SimDisk } from "./sim-disk.ts";
import { RuntimeNode } from "./runtime-node.ts";
import type { SimMember } from "./sim-member.ts";
import { SimNode } from "./sim-node.ts";
import { Trace } from "./trace.ts";
import { UserInvariants } from "./user-invariants.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";
import type { WritePlan } from "../../src/storage/write-plan.ts";
import { SimFailure, SimViolation } from "./violation.ts";

export interface SimReport {
  seed: number;
  nodes: number;
  steps: number;
  virtualTime: number;
  faults: Record<FaultKind, number>;
  elections: number;
  commits: number;
  operations: number;
  unknownOutcomes: number;
  network: NetworkStats;
}

const PROBE_RETRY = 20;
/** Room for each node id's device stream per seed (ids stay far below it). */
const DISK_STREAMS = 1024;
const TRACE_TAIL = 40;

export async function runSimulation(config: SimConfig): Promise<SimReport> {
  // Whatever an earlier run left in the microtask queue runs out first, so no run shares its
  // MICROTASK_TURNS with another's leftovers: a seed replays alike alone or in a campaign.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const sim = new Simulation(config);
  try {
    return await sim.run();
  } catch (e) {
    throw sim.failure(e);
  }
}

/**
 * Promise continuations (the runtime's async paths and the clients' callbacks) run between two
 * events, in the one order the microtask queue gives them; this many turns covers their chains.
 */
const MICROTASK_TURNS = 8;

class Simulation {
  private readonly queue = new EventQueue(100_000);
  private readonly rng: Prng;
  private readonly trace: Trace;
  private readonly checker: SafetyChecker;
  private readonly users = new UserInvariants();
  private readonly network: SimNetwork;
  private readonly nodes: SimMember[] = [];
  /** A check that failed inside a runtime call stack, raised after the event. */
  private violation: SimViolation | null = null;
  private readonly clients: Clients;
  private readonly faults: FaultInjector;
  private steps = 0;
  /** Liveness probes proposed after healing; one per leader term, the first applied one counts. */
  private probes: { node: SimMember; index: number; term: number }[] = [];
  private probeIndex = 0;

  constructor(private readonly cfg: SimConfig) {
    this.rng = new Prng(cfg.seed);
    this.checker = new SafetyChecker((id) => this.byId(id)!.disk, bootstrapMembership(cfg.nodes));
    this.trace = new Trace(TRACE_TAIL, () => this.queue.now(), cfg.traceSink);
    this.network = new SimNetwork(this.queue, this.rng.fork(), cfg.network, (m) => this.byId(m.to)?.deliver(m), cfg.traceSink !== null);
    if (cfg.runtime) this.buildRuntimeNodes();
    else this.buildNodes(cfg.factory ?? realCore);
    const trace = (line: string) => this.trace.add(line);
    this.clients = new Clients(this.queue, this.rng.fork(), this.nodes, cfg.clients, cfg.runtimeBugs.readBeforeApplied, trace);
    this.faults = new FaultInjector(
      {
        queue: this.queue,
        rng: this.rng.fork(),
        network: this.network,
        nodes: this.nodes,
        trace,
        leader: () => this.leader(),
      },
      cfg.faults,
    );
  }

  async run(): Promise<SimReport> {
    for (const n of this.nodes) n.start();
    this.startTicks();
    this.clients.start();
    this.faults.start();
    await this.runUntil(this.cfg.duration, () => false);
    this.faults.stop();
    this.clients.stop();
    this.faults.healAll(this.cfg.calmNetwork);
    await this.requireLiveness();
    await this.requireCatchUp();
    this.clients.finish();
    this.checkReplicas();
    this.checkHistory();
    return this.report();
  }

  failure(e: unknown): SimFailure {
    if (e instanceof SimFailure) return e;
    if (e instanceof SimViolation) return new SimFailure(this.cfg.seed, e.check, e.detail, this.trace.tail(), this.cfg.replayFlags);
    const err = e instanceof Error ? e : new Error(String(e));
    const where = (err.stack ?? "").split("\n").slice(1, 4).map((l) => l.trim()).join(" | ");
    return new SimFailure(this.cfg.seed, "core-error", `${err.name}: ${err.message} at ${where}`, this.trace.tail(), this.cfg.replayFlags);
  }

  private buildNodes(factory: CoreFactory): void {
    const settings = {
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      maxMsgBytes: this.cfg.maxMsgBytes,
      maxInflight: this.cfg.maxInflight,
      maxInflightBytes: this.cfg.maxInflightBytes,
      snapshotChunkBytes: this.cfg.snapshotChunkBytes,
      preVote: this.cfg.preVote,
      checkQuorum: this.cfg.checkQuorum,
      initialMembership: bootstrapMembership(this.cfg.nodes),
    };
    const env = {
      queue: this.queue,
      network: this.network,
      checker: this.checker,
      factory,
      bugs: this.cfg.runtimeBugs,
      maxDiskLatency: this.cfg.maxDiskLatency,
      maxDeferred: 1024,
      pipeline: this.cfg.pipeline,
      earlySend: this.cfg.earlySend,
      hooks: {
        applied: (n: SimNode, e: Entry) => this.onApplied(n, e),
        snapshotInstalled: (n: SimNode, index: number) => this.clients.snapshotInstalled(n, index),
        readState: (n: SimNode, rs: { ctx: number; index: number; ok: boolean }) => this.clients.readState(n, rs),
        crashed: (n: SimNode, lost: number) => this.crashed(n, lost),
        persisted: (n: SimNode, rd: Ready) => this.faults.crashPoint(n, rd),
        trace: (line: string) => this.trace.add(line),
      },
    };
    for (let id = 1; id <= this.cfg.nodes + this.cfg.spareIds; id++) {
      this.nodes.push(new SimNode(id, this.disk(id), this.rng.fork(), settings, env));
    }
  }

  private buildRuntimeNodes(): void {
    const settings = {
      tickInterval: this.cfg.tickInterval,
      electionTicks: this.cfg.electionTick,
      heartbeatTicks: this.cfg.heartbeatTick,
      maxMsgBytes: this.cfg.maxMsgBytes,
      maxInflight: this.cfg.maxInflight,
      maxInflightBytes: this.cfg.maxInflightBytes,
      snapshotChunkBytes: this.cfg.snapshotChunkBytes,
      snapshotEntries: this.cfg.snapshotEntries,
      initialMembership: bootstrapMembership(this.cfg.nodes),
    };
    const trace = (line: string) => this.trace.add(line);
    const env = {
      queue: this.queue,
      network: this.network,
      checker: this.checker,
      directory: { transportOf: (id: NodeId) => this.runtimeNode(id)?.peerTransport() ?? null },
      build: this.cfg.runtimeFactory ?? ((o: ConstructorParameters<typeof RaftRuntime>[0]) => new RaftRuntime(o)),
      operatorPeers: () => this.faults.operatorPeers(),
      appliedDurableCheck: this.cfg.appliedDurableCheck,
      violation: (v: SimViolation) => {
        this.violation ??= v;
      },
      hooks: {
        applied: (n: RuntimeNode, e: Entry) => this.onApplied(n, e),
        crashed: (n: RuntimeNode, lost: number) => this.crashed(n, lost),
        tearPoint: (n: RuntimeNode, plan: WritePlan) => this.faults.tearPoint(n, plan),
        corruptRead: (n: RuntimeNode) => this.faults.corruptRead(n),
        refused: (n: RuntimeNode) => this.faults.restartLater(n),
        persisted: (n: RuntimeNode, batch: PersistBatch) => this.faults.crashPoint(n, batch),
        trace,
      },
    };
    for (let id = 1; id <= this.cfg.nodes + this.cfg.spareIds; id++) {
      const rate = 1 + this.rng.int(-this.cfg.clockDriftPercent, this.cfg.clockDriftPercent) / 100;
      this.nodes.push(new RuntimeNode(id, this.disk(id), this.rng.fork(), settings, rate, env));
    }
  }

  /**
   * Node `id`'s device, with its own stream (flush latencies, what a crash keeps) derived from the
   * seed and the id without a draw from the run's stream, so adding the device's draws left every
   * other schedule of a seed as it was.
   */
  private disk(id: NodeId): SimDisk {
    return new SimDisk(id, this.cfg.diskBugs, new Prng(this.cfg.seed * DISK_STREAMS + id));
  }

  private runtimeNode(id: NodeId): RuntimeNode | undefined {
    const n = this.byId(id);
    return n instanceof RuntimeNode ? n : undefined;
  }

  private byId(id: NodeId): SimMember | undefined {
    return this.nodes[id - 1];
  }

  /** Each node's clock runs at its own rate (±20 %), as real timers drift apart. */
  private startTicks(): void {
    const ti = this.cfg.tickInterval;
    for (const n of this.nodes) {
      const period = this.rng.int(Math.max(1, Math.round(ti * 0.8)), Math.round(ti * 1.2));
      const tick = () => {
        n.tick();
        this.queue.after(period, `tick n${n.id}`, tick);
      };
      this.queue.after(this.rng.int(0, period - 1), `tick n${n.id}`, tick);
    }
  }

  /** Run events up to virtual time `until`, or until `done()` holds; false when time ran out first. */
  private async runUntil(until: number, done: () => boolean): Promise<boolean> {
    while (!done()) {
      const ev = this.queue.runNext(until);
      if (ev === null) {
        this.queue.advanceTo(until);
        return false;
      }
      if (this.cfg.runtime) await this.settleRuntime();
      this.checkViews();
      if (this.cfg.traceSink !== null || !ev.label.startsWith("tick")) this.trace.add(ev.label);
      if (++this.steps > this.cfg.maxEvents) {
        throw new SimViolation("runtime", `run exceeded ${this.cfg.maxEvents} events (virtual time ${this.queue.now()})`);
      }
    }
    return true;
  }

  /** Let the promise continuations of the event run (the runtime answers through promises). */
  private async settleRuntime(): Promise<void> {
    for (let i = 0; i < MICROTASK_TURNS; i++) await null;
    if (this.violation !== null) throw this.violation;
  }

  /**
   * What every running node shows its users, after every event: one status per node serves
   * SafetyChecker (runtime mode: election safety, commit against what is persisted) and
   * UserInvariants (user-invariants.ts).
   */
  private checkViews(): void {
    for (const n of this.nodes) {
      if (!n.isUp()) continue;
      const s = n.status();
      if (this.cfg.runtime) {
        this.checker.status(n.id, s, n.applied);
        if (s.role === "leader") this.checker.leader(n.id, s.term, n.disk);
      }
      this.users.status(n.id, n.lives, n.directoryId, s, n.disk);
    }
  }

  leader(): SimMember | undefined {
    let best: { node: SimMember; term: number } | undefined;
    for (const n of this.nodes) {
      if (!n.isUp()) continue;
      const s = n.status();
      if (s.role === "leader" && (best === undefined || s.term > best.term)) best = { node: n, term: s.term };
    }
    return best?.node;
  }

  private crashed(n: SimMember, lostWrites: number): void {
    this.faults.crashed(n, lostWrites);
    this.clients.crashed(n);
  }

  private onApplied(n: SimMember, e: Entry): void {
    this.clients.applied(n, e);
    if (this.probes.some((p) => p.node === n && p.index === e.index && p.term === e.term)) this.probeIndex = e.index;
  }

  /** After healing: a leader must be elected and a fresh write commit within settleTimeout. */
  private async requireLiveness(): Promise<void> {
    const deadline = this.queue.now() + this.cfg.settleTimeout;
    const attempt = () => {
      if (this.probeIndex > 0) return;
      const leader = this.leader();
      const term = leader?.status().term;
      // A probe proposed to an earlier leader may never commit; each new leader term gets its own.
      if (leader !== undefined && term !== undefined && !this.probes.some((p) => p.node === leader && p.term === term)) this.probe(leader, term);
      this.queue.after(PROBE_RETRY, "liveness probe", attempt);
    };
    attempt();
    if (!(await this.runUntil(deadline, () => this.probeIndex > 0))) {
      throw new SimViolation("liveness", `no write committed within ${this.cfg.settleTimeout} virtual ms after healing (leader: ${this.leader()?.id ?? "none"})`);
    }
    this.trace.add(`liveness: probe committed at index ${this.probeIndex}`);
  }

  private probe(leader: SimMember, term: number): void {
    const data = encodeCommand({ key: "probe", value: `p${this.probes.length}` });
    if (leader instanceof RuntimeNode) {
      this.probes.push({ node: leader, index: 0, term });
      leader.put(data, (r) => {
        if (r.kind === "ok") this.probeIndex = r.index;
      });
      return;
    }
    leader.act((core) => {
      const r = core.propose(data);
      if (r.ok) this.probes.push({ node: leader, index: r.index, term: r.term });
    });
  }

  /** Every member of the final membership reaches the leader's log end and applies it. */
  private async requireCatchUp(): Promise<void> {
    const deadline = this.queue.now() + this.cfg.settleTimeout;
    const caughtUp = () => {
      const leader = this.leader();
      if (leader === undefined) return false;
      const s = leader.status();
      if (s.commit !== s.lastIndex) return false;
      return this.members(leader).every((n) => n.isUp() && n.applied === s.commit);
    };
    if (!(await this.runUntil(deadline, caughtUp))) {
      const state = this.nodes.map((n) => `n${n.id}:${n.isUp() ? n.applied : "down"}`).join(" ");
      throw new SimViolation("liveness", `members did not catch up within ${this.cfg.settleTimeout} virtual ms (applied: ${state})`);
    }
  }

  private members(leader: SimMember): SimMember[] {
    const m = leader.status().membership;
    return [...m.voters, ...m.learners].map((id) => this.byId(id)!);
  }

  private checkReplicas(): void {
    const members = this.members(this.leader()!);
    const reference = members[0]!;
    for (const n of members) {
      if (n.kv.digest() !== reference.kv.digest()) {
        throw new SimViolation("replica-divergence", `nodes ${reference.id} and ${n.id} applied up to ${n.applied} but hold different states`);
      }
      for (const w of this.clients.acked) {
        const cell = n.kv.cell(w.key);
        if (cell === undefined || cell.index < w.index || (cell.index === w.index && cell.value !== w.value)) {
          throw new SimViolation(
            "acknowledged-write-lost",
            `node ${n.id} lost the acknowledged put ${w.key}=${w.value} at index ${w.index} (holds ${cell ? `${cell.value}@${cell.index}` : "nothing"})`,
          );
        }
      }
    }
  }

  private checkHistory(): void {
    const r = checkLinearizable(kvRegisterModel, this.clients.history);
    if (!r.ok) {
      throw new SimViolation("linearizability", `the history of key ${r.partition} (${r.operations} operations) is not linearizable`);
    }
  }

  private report(): SimReport {
    return {
      seed: this.cfg.seed,
      nodes: this.cfg.nodes,
      steps: this.steps,
      virtualTime: this.queue.now(),
      faults: { ...this.faults.counts },
      elections: this.checker.elections(),
      commits: this.checker.committedCount(),
      operations: this.clients.history.length,
      unknownOutcomes: this.clients.unknown,
      network: { ...this.network.stats },
    };
  }
}

/** Voters 1..n at bootstrap, each at its simulated address. */
function bootstrapMembership(nodes: number): Membership {
  const voters = Array.from({ length: nodes }, (_, i) => i + 1);
  return { voters, learners: [], addresses: Object.fromEntries(voters.map((id) => [String(id), `sim-${id}`])) };
}
