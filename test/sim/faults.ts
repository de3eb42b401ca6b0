// The seed's faults: crashes and restarts, symmetric and asymmetric partitions, lossy spells
// (drops, duplicates), app snapshots with log compaction, membership changes within a pool of ids,
// leader transfers, wiped disks, a leader deposed without knowing it (cut off, frozen, resumed
// while the rest have moved on); on runtime nodes also process pauses, clock steps, torn writes and
// corrupt reads of log entries and snapshot pieces. Crashes and voter changes keep a majority of voters able to work.
import { boundDirectory } from "../../src/raft/directory-ids.ts";
import type { ConfChange, Entry, HardState, Membership, NodeId } from "../../src/raft/types.ts";
import type { EventQueue } from "./event-queue.ts";
import { possibleChanges } from "./membership-changes.ts";
import type { NetworkOptions, SimNetwork } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { WritePlan } from "../../src/storage/write-plan.ts";
import { RuntimeNode } from "./runtime-node.ts";
import type { CorruptRead } from "./sim-disk.ts";
import type { SimMember } from "./sim-member.ts";

/** Half the crash points are quick bounces: back before most messages sent meanwhile arrive. */
const CRASH_POINT_BOUNCE = 10;
/** Virtual ms between two steps of the operator replacing a wiped node. */
const REPLACE_RETRY = 30;
/**
 * Shortest freeze of a deposed leader (virtual ms): with the default 10 ticks of 10 ms, long enough
 * for the rest to time out (one to two election timeouts), elect in two rounds and commit a write.
 */
const DEPOSE_MIN_FREEZE = 250;

export type FaultKind =
  | "crash"
  | "partition"
  | "asymmetric"
  | "isolate-leader"
  | "lossy"
  | "compact"
  | "membership"
  | "transfer"
  | "wipe"
  | "pause"
  | "clock-jump"
  | "depose-leader"
  | "crash-point"
  | "torn"
  | "corrupt"
  | "corrupt-snap"
  | "unflushed-lost";

/**
 * The faults drawn by weight; crash points and torn writes strike at writes, corrupt reads at
 * start-ups, by rate; unflushed-lost counts the crashes whose device lost unflushed writes.
 */
export type WeightedFault = Exclude<FaultKind, "crash-point" | "torn" | "corrupt" | "corrupt-snap" | "unflushed-lost">;

export interface FaultOptions {
  /** Mean virtual ms between two faults. */
  meanInterval: number;
  /** Longest a crash, partition or lossy spell lasts (virtual ms). */
  maxOutage: number;
  weights: Record<WeightedFault, number>;
  /** Probability that a node crashes right after persisting a hard-state change (vote, term, commit). */
  crashPointRate: number;
  /** Runtime mode: probability that a write appending entries is torn by a crash in its middle. */
  tearRate: number;
  /** Runtime mode: probability that a start-up reads one log entry back corrupt. */
  corruptRate: number;
  /** Runtime mode: probability that a start-up reads a piece of the snapshot (its row or a chunk) back corrupt. */
  corruptSnapshotRate: number;
  minVoters: number;
  maxVoters: number;
}

export interface World {
  queue: EventQueue;
  rng: Prng;
  network: SimNetwork;
  nodes: readonly SimMember[];
  trace(line: string): void;
  leader(): SimMember | undefined;
}

export class FaultInjector {
  readonly counts: Record<FaultKind, number> = {
    crash: 0,
    partition: 0,
    asymmetric: 0,
    "isolate-leader": 0,
    lossy: 0,
    compact: 0,
    membership: 0,
    transfer: 0,
    wipe: 0,
    pause: 0,
    "clock-jump": 0,
    "depose-leader": 0,
    "crash-point": 0,
    torn: 0,
    corrupt: 0,
    "corrupt-snap": 0,
    "unflushed-lost": 0,
  };
  private stopped = false;
  /** The wiped node the operator is replacing (remove, then add again); one at a time. */
  private replacing: { node: SimMember; wasVoter: boolean } | null = null;
  private readonly kinds: (WeightedFault)[];
  /** A deposed leader's cut is in force (one at a time: its heal would end another's early). */
  private deposing = false;

  constructor(
    private readonly w: World,
    private readonly options: FaultOptions,
  ) {
    this.kinds = (Object.keys(options.weights) as (WeightedFault)[]).filter((k) => options.weights[k] > 0);
  }

  start(): void {
    if (this.kinds.length > 0) this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Heal every fault: reconnect, calm links, restart whatever is down. */
  healAll(calmNetwork: NetworkOptions): void {
    this.w.network.heal();
    this.w.network.reconfigure(calmNetwork);
    for (const n of this.w.nodes) {
      if (!n.isUp()) n.start();
      else if (n instanceof RuntimeNode) n.resume();
    }
    this.w.trace("heal all");
  }

  private scheduleNext(): void {
    const gap = this.w.rng.int(1, 2 * this.options.meanInterval);
    this.w.queue.after(gap, "fault", () => {
      if (this.stopped) return;
      this.inject(this.pickKind());
      this.scheduleNext();
    });
  }

  /**
   * Crash points: right after a Ready became durable that changed the hard state (a vote just
   * granted, a term adopted, a commit recorded) or appended to a leader's log, either before its
   * messages go out (crash now) or just after — the moments where a lost write would matter and
   * where an entry is left on one node only (the raw material of figure 8).
   */
  crashPoint(node: SimMember, rd: { hardState: HardState | null; entries: readonly Entry[] }): void {
    const interesting = rd.hardState !== null || (rd.entries.length > 0 && node.status().role === "leader");
    if (this.stopped || !interesting || !this.w.rng.chance(this.options.crashPointRate)) return;
    if (!this.mayCrash(node)) return;
    this.counts["crash-point"]++;
    const longest = this.w.rng.chance(0.5) ? CRASH_POINT_BOUNCE : Math.max(CRASH_POINT_BOUNCE, this.options.maxOutage >> 2);
    const downtime = this.w.rng.int(1, longest);
    if (this.w.rng.chance(0.5)) {
      this.w.trace(`crash point n${node.id} before send`);
      this.crashFor(node, downtime);
      return;
    }
    this.w.queue.after(0, `crash point n${node.id} after send`, () => {
      if (node.isUp()) this.crashFor(node, downtime);
    });
  }

  /**
   * A torn write: the process dies in the middle of writing `plan` (entries appended); the device
   * keeps a prefix of it. Returns how many of its entries to keep, or null for no tear.
   */
  tearPoint(node: RuntimeNode, plan: WritePlan): number | null {
    if (this.stopped || plan.append.length === 0 || plan.snapshot !== null || !this.w.rng.chance(this.options.tearRate)) return null;
    if (!this.mayCrash(node)) return null;
    this.counts.torn++;
    const keep = this.w.rng.int(0, plan.append.length - 1);
    const life = node.lives + 1; // the life that ends with this write
    this.w.trace(`torn write n${node.id}: ${keep} of ${plan.append.length} entries reach the disk`);
    this.w.queue.after(this.w.rng.int(1, Math.max(CRASH_POINT_BOUNCE, this.options.maxOutage >> 2)), `restart n${node.id}`, () => {
      if (!node.isUp() && node.lives === life) node.start();
    });
    return keep;
  }

  /**
   * At a node's start-up: the piece its device reads back corrupt, or null — a piece of the
   * snapshot it restores from (and, as leader, would send to followers), else a log entry.
   */
  corruptRead(node: RuntimeNode): CorruptRead | null {
    if (this.stopped) return null;
    const pieces = node.disk.snapshotPieces();
    if (pieces > 0 && this.w.rng.chance(this.options.corruptSnapshotRate)) {
      this.counts["corrupt-snap"]++;
      const piece = this.w.rng.int(0, pieces - 1);
      this.w.trace(`corrupt read n${node.id}: snapshot at ${node.disk.snapshotIndex()}, ${piece === 0 ? "its row" : `chunk ${piece - 1}`}`);
      return { kind: "snapshot", piece };
    }
    const first = node.disk.snapshotIndex() + 1;
    const last = node.disk.lastIndex();
    if (last < first || !this.w.rng.chance(this.options.corruptRate)) return null;
    this.counts.corrupt++;
    const at = this.w.rng.int(first, last);
    this.w.trace(`corrupt read n${node.id}: entry ${at}`);
    return { kind: "entry", index: at };
  }

  /** A crash of `node` lost `lost` unflushed writes from its device's cache (none: nothing to count). */
  crashed(node: SimMember, lost: number): void {
    if (lost === 0) return;
    if (node.isUp()) throw new Error(`n${node.id} reported a crash while up`);
    this.counts["unflushed-lost"]++;
  }

  /** A node that refused to start is restarted by its operator a little later (the next read is clean). */
  restartLater(node: SimMember): void {
    const life = node.lives;
    this.w.queue.after(this.w.rng.int(1, CRASH_POINT_BOUNCE * 5), `restart n${node.id}`, () => {
      if (!node.isUp() && node.lives === life) node.start();
    });
  }

  private pickKind(): WeightedFault {
    const total = this.kinds.reduce((s, k) => s + this.options.weights[k], 0);
    let x = this.w.rng.next() * total;
    for (const k of this.kinds) {
      x -= this.options.weights[k];
      if (x < 0) return k;
    }
    return this.kinds[this.kinds.length - 1]!;
  }

  private inject(kind: WeightedFault): void {
    const done = this.run(kind);
    if (done) this.counts[kind]++;
  }

  private run(kind: WeightedFault): boolean {
    switch (kind) {
      case "crash":
        return this.crash();
      case "partition":
        return this.partition();
      case "asymmetric":
        return this.asymmetric();
      case "isolate-leader":
        return this.isolateLeader();
      case "lossy":
        return this.lossy();
      case "compact":
        return this.compact();
      case "membership":
        return this.membership();
      case "transfer":
        return this.transfer();
      case "wipe":
        return this.wipe();
      case "pause":
        return this.pause();
      case "clock-jump":
        return this.clockJump();
      case "depose-leader":
        return this.deposeLeader();
    }
  }

  private outage(): number {
    return this.w.rng.int(10, this.options.maxOutage);
  }

  /** Voters of the newest membership any running node knows of (by its log end). */
  private knownMembership(): Membership {
    let best: { last: number; m: Membership } | undefined;
    for (const n of this.w.nodes) {
      if (!n.isUp()) continue;
      const s = n.status();
      if (best === undefined || s.lastIndex > best.last) best = { last: s.lastIndex, m: s.membership };
    }
    return best?.m ?? { voters: [], learners: [], addresses: {} };
  }

  private downVoters(voters: readonly NodeId[]): number {
    return voters.filter((id) => !this.node(id).isUp()).length;
  }

  private node(id: NodeId): SimMember {
    const n = this.w.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`no simulated node with id ${id}`);
    return n;
  }

  private crash(): boolean {
    const up = this.w.nodes.filter((n) => n.isUp());
    if (up.length === 0) return false;
    const victim = this.w.rng.pick(up);
    if (!this.mayCrash(victim)) return false;
    this.crashFor(victim, this.outage());
    return true;
  }

  /** Crashing `n` leaves a majority of the voters up. */
  private mayCrash(n: SimMember): boolean {
    const voters = this.knownMembership().voters;
    const tolerated = Math.floor((voters.length - 1) / 2);
    return !voters.includes(n.id) || this.downVoters(voters) + 1 <= tolerated;
  }

  private crashFor(n: SimMember, downtime: number): void {
    n.crash();
    const life = n.lives;
    this.w.queue.after(downtime, `restart n${n.id}`, () => {
      if (!n.isUp() && n.lives === life) n.start();
    });
  }

  private partition(): boolean {
    const ids = this.w.nodes.map((n) => n.id);
    const side = ids.filter(() => this.w.rng.chance(0.5));
    const other = ids.filter((id) => !side.includes(id));
    if (side.length === 0 || other.length === 0) return false;
    this.w.network.partition(side, other);
    this.w.trace(`partition [${side}] | [${other}]`);
    this.healLater();
    return true;
  }

  private asymmetric(): boolean {
    const ids = this.w.nodes.map((n) => n.id);
    const cuts = this.w.rng.int(1, ids.length);
    const links: string[] = [];
    for (let i = 0; i < cuts; i++) {
      const from = this.w.rng.pick(ids);
      const to = this.w.rng.pick(ids.filter((id) => id !== from));
      this.w.network.cut(from, to);
      links.push(`${from}>${to}`);
    }
    this.w.trace(`cut links ${links.join(" ")}`);
    this.healLater();
    return true;
  }

  private isolateLeader(): boolean {
    const leader = this.w.leader();
    if (leader === undefined) return false;
    const others = this.w.nodes.filter((n) => n !== leader).map((n) => n.id);
    this.w.network.partition([leader.id], others);
    this.w.trace(`isolate leader n${leader.id}`);
    this.healLater();
    return true;
  }

  private healLater(): void {
    this.w.queue.after(this.outage(), "heal partition", () => {
      this.w.network.heal();
      this.w.trace("partition healed");
    });
  }

  private lossy(): boolean {
    const drop = this.w.rng.int(5, 30) / 100;
    const dup = this.w.rng.int(0, 10) / 100;
    this.w.network.setLossy(drop, dup);
    this.w.trace(`lossy drop=${drop} dup=${dup}`);
    this.w.queue.after(this.outage(), "lossless", () => this.w.network.setLossy(0, 0));
    return true;
  }

  private compact(): boolean {
    const up = this.w.nodes.filter((n) => n.isUp());
    if (up.length === 0) return false;
    this.w.rng.pick(up).compact();
    return true;
  }

  private membership(): boolean {
    const leader = this.w.leader();
    if (leader === undefined) return false;
    const pool = this.w.nodes.map((n) => n.id);
    const working = (id: NodeId) => this.node(id).isUp() && id !== this.replacing?.node.id;
    const choices = possibleChanges(leader.status().membership, pool, working, this.options);
    if (choices.length === 0) return false;
    const cc = this.w.rng.pick(choices);
    if (cc.type !== "removeNode") this.startJoiner(cc.id, leader.status().membership);
    leader.changeMembership(cc);
    return true;
  }

  /**
   * A member's disk is lost; the operator formats it (a new directory id) and restarts it, then
   * replaces it: remove, then add again. Only once every member's disk binds its directory id in
   * a committed entry (an uncommitted binding can be overwritten: seeds 17237, 66352) — before that, the cluster cannot tell the new disk from the old (see src/raft/directory-ids.ts),
   * and the README tells operators the same.
   */
  private wipe(): boolean {
    if (this.replacing !== null) return false;
    const m = this.knownMembership();
    const members = [...m.voters, ...m.learners].map((id) => this.node(id));
    // Every node some disk names as a member must bind the victim, not only the members of the
    // longest log's view: a node removed before it got any entry still counts itself a voter of
    // the bootstrap membership, and with the blank victim it is a majority of it (seed 901948: n2
    // removed while blank, n1 wiped, n2 elected by n1's vote in the term n3 led); a voter added in
    // an entry the longest log lacks is counted by the disks that hold it. And no disk may act on
    // other voters than the rest: with a change in flux a wipe can leave no majority that would
    // elect anyone (seed 900368: n1's log added n4, whose log was ahead of n1's, n3 was wiped).
    const views = new Map(this.w.nodes.map((h) => [h, h.memberships()]));
    const named = new Set([...views.values()].flat().flatMap((v) => [...v.voters, ...v.learners]));
    const holders = this.w.nodes.filter((h) => named.has(h.id) || members.includes(h));
    const voterSets = new Set(holders.flatMap((h) => views.get(h) ?? []).map((v) => [...v.voters].sort((a, b) => a - b).join(",")));
    if (voterSets.size > 1) return false;
    const eligible = members.filter((n) => holders.every((h) => h.durablyBinds(n.id, n.directoryId)) && (!n.isUp() || this.mayCrash(n)));
    if (eligible.length === 0) return false;
    const victim = this.w.rng.pick(eligible);
    this.replacing = { node: victim, wasVoter: m.voters.includes(victim.id) };
    victim.wipe(asPeers(m));
    const life = victim.lives;
    this.w.queue.after(this.outage(), `restart wiped n${victim.id}`, () => {
      if (!victim.isUp() && victim.lives === life) victim.start();
    });
    this.w.queue.after(REPLACE_RETRY, `replace n${victim.id}`, () => this.replaceStep());
    return true;
  }

  /**
   * The operator's next step: remove the member bound to the lost disk, then add the node again;
   * done once the node's own disk binds it to its new directory id — it has caught up past its
   * re-add and its binding. Until then no other disk is wiped: two blank nodes of the bootstrap
   * voter set could elect each other from their bootstrap membership (README: replace one lost
   * disk at a time, and wait until the replacement has caught up).
   */
  private replaceStep(): void {
    const r = this.replacing;
    const leader = this.w.leader();
    if (r === null) return;
    if (leader !== undefined && r.node.isUp()) {
      const s = leader.status();
      const m = s.membership;
      const bound = boundDirectory(m, r.node.id);
      const member = m.voters.includes(r.node.id) || m.learners.includes(r.node.id);
      // Done only when it is back as what it was (a voter comes back through a learner and a
      // promotion) and the leader has committed the config that says so: a learner whose
      // promotion is still pending leaves the committed voter set one short, and wiping another
      // voter then would cost the quorum for good (seed 1187).
      const back = member && (!r.wasVoter || m.voters.includes(r.node.id) || m.voters.length >= this.options.maxVoters);
      if (back && s.commit >= s.lastIndex && bound === r.node.directoryId && r.node.durablyBinds(r.node.id, r.node.directoryId)) {
        this.w.trace(`n${r.node.id} replaced`);
        this.replacing = null;
        return;
      }
      const add = r.wasVoter && m.voters.length < this.options.maxVoters ? ("addVoter" as const) : ("addLearner" as const);
      const stale = member && bound !== "" && bound !== r.node.directoryId;
      const cc: ConfChange | null = !member ? { type: add, id: r.node.id, address: `sim-${r.node.id}` } : stale ? { type: "removeNode", id: r.node.id } : null;
      if (cc !== null) {
        this.w.trace(`operator: replace n${r.node.id} with ${JSON.stringify(cc)}`);
        if (cc.type !== "removeNode") this.startJoiner(cc.id, m);
        leader.changeMembership(cc);
      }
    }
    this.w.queue.after(REPLACE_RETRY, `replace n${r.node.id}`, () => this.replaceStep());
  }


  /**
   * A process pause (GC, SIGSTOP, a stalled VM): the node keeps its state but runs nothing — its
   * timers and inbound messages queue up — and then resumes with a stale view of the cluster. Half
   * the time it is the leader: the old leader resuming is the classic stale-read case for
   * ReadIndex and for reads forwarded to it.
   */
  private pause(): boolean {
    const up = this.w.nodes.filter((n): n is RuntimeNode => n instanceof RuntimeNode && n.isUp() && !n.isPaused());
    if (up.length === 0) return false;
    const leader = up.find((n) => n === this.w.leader());
    const victim = leader !== undefined && this.w.rng.chance(0.5) ? leader : this.w.rng.pick(up);
    victim.pause();
    const life = victim.lives;
    this.w.queue.after(this.outage(), `resume n${victim.id}`, () => {
      if (victim.lives === life) victim.resume();
    });
    return true;
  }

  /**
   * A leader deposed without knowing it, the case ReadIndex's heartbeat round exists for: the
   * leader — half the time with one member that keeps taking it for leader: a learner, or with five
   * voters or more a voter (the rest still elect) — is cut off from the rest (both ways, or only the rest's links to it: then its own
   * messages still arrive and are refused as old-term) and, on the runtime, frozen (a GC pause)
   * with the ticks missed meanwhile dropped, as a real leader's are (IntervalTicker never catches a
   * leader up), so its check-quorum cannot step it down before the rest elect a new leader and
   * commit writes the clients see acknowledged. It resumes still cut off and takes the reads
   * clients sent it meanwhile and keep sending it (directly, forwarded, or through that follower's
   * ReadIndex) until its check-quorum deposes it; the cut heals later.
   */
  private deposeLeader(): boolean {
    const leader = this.w.leader();
    if (this.deposing || leader === undefined || (leader instanceof RuntimeNode && leader.isPaused())) return false;
    const { voters, learners } = leader.status().membership;
    const companions = [...(voters.length >= 5 ? voters : []), ...learners].filter((id) => id !== leader.id && this.node(id).isUp());
    const side = [leader.id];
    if (companions.length > 0 && this.w.rng.chance(0.5)) side.push(this.w.rng.pick(companions));
    const rest = this.w.nodes.map((n) => n.id).filter((id) => !side.includes(id));
    const oneWay = this.w.rng.chance(0.5);
    if (oneWay) for (const from of rest) for (const to of side) this.w.network.cut(from, to);
    else this.w.network.partition(side, rest);
    const frozen = this.w.rng.int(DEPOSE_MIN_FREEZE, DEPOSE_MIN_FREEZE + this.options.maxOutage);
    this.w.trace(`depose leader n${leader.id}: [${side}] cut off${oneWay ? " one way" : ""}, frozen ${frozen} ms`);
    this.deposing = true;
    const life = leader.lives;
    if (leader instanceof RuntimeNode) leader.pause({ dropMissedTicks: true });
    this.w.queue.after(frozen, `resume deposed n${leader.id}`, () => {
      if (leader instanceof RuntimeNode && leader.lives === life) leader.resume();
      this.w.queue.after(this.outage(), "heal deposed leader's cut", () => {
        this.deposing = false;
        this.w.network.heal();
        this.w.trace("partition healed");
      });
    });
    return true;
  }

  /** The node's wall clock steps (NTP), forward or back; its tick source keeps its own drift. */
  private clockJump(): boolean {
    const nodes = this.w.nodes.filter((n): n is RuntimeNode => n instanceof RuntimeNode);
    if (nodes.length === 0) return false;
    this.w.rng.pick(nodes).jumpClock(this.w.rng.int(-5000, 5000));
    return true;
  }

  /**
   * A node about to be added (or added back) is (re)started the way the README tells the operator:
   * with the cluster's current members as its --peers, so it can answer their leader even while its
   * log still ends before the entries that added that leader.
   */
  private startJoiner(id: NodeId, current: Membership): void {
    this.node(id).joinWith(asPeers(current));
  }

  /** The cluster's current peers as its operator names them in --peers (no directory-id bindings). */
  operatorPeers(): Membership {
    return asPeers(this.knownMembership());
  }

  private transfer(): boolean {
    const leader = this.w.leader();
    if (leader === undefined) return false;
    const voters = leader.status().membership.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return false;
    const to = this.w.rng.pick(voters);
    leader.transferLeader(to);
    this.w.trace(`n${leader.id} transfer leadership to n${to}`);
    return true;
  }
}

/** What --peers can say of a membership: its members and their addresses, never a disk's directory id. */
function asPeers(m: Membership): Membership {
  return { voters: [...m.voters], learners: [...m.learners], addresses: { ...m.addresses } };
}
