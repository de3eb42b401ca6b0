// The controller's leader-side loop, after KRaft's ReplicationControlManager: when a broker's status
// changes (fenced, unregistered, unfenced, registered again) or when it asks for a controlled shutdown,
// it finds the partitions whose ISR holds the broker (the image's ISR index, no full scan), keeps
// those that the rules would change, and proposes them as reconcilePartitions entries of at most
// MAX_PARTITIONS_PER_CHANGE partitions, one after another. The entry's apply decides each
// partition's new state again from the image of its own index, so a batch made stale by later
// changes is harmless. Runs on the leader only. When this node becomes leader it finishes what its
// predecessor left undone, and only that: a failover pass can change a partition only if an ISR
// member may not lead or stay (then that broker's partitions are checked) or if it has no leader
// (the image's leaderless partitions are checked), so a takeover with every broker serving and
// every partition led checks nothing (it used to check every broker's partitions: at 1M
// partitions, 3M checks and 30 scans of the ISR index competing with the new leader's first writes).
import { NoLeaderError } from "../node/contracts.ts";
import { type BrokerRecord, forEachBrokerChange } from "./broker-changes.ts";
import type { ReconcilePartitionsCommand } from "./commands.ts";
import type { MetadataImage } from "./image.ts";
import { invariant } from "./invariant.ts";
import type { PartitionRef } from "./isr-index.ts";
import { MAX_PARTITIONS_PER_CHANGE } from "./limits.ts";
import { type Eligible, reconcile, wouldChange } from "./partition-change.ts";
import { eligibility } from "./partition-rules.ts";
import { ACTIVE_STATUSES } from "./records.ts";
import type { ImageChange } from "./state-machine.ts";

/** A reconcile batch before the leader stamps its time. */
export type ReconcileBatch = Omit<ReconcilePartitionsCommand, "kind" | "timestamp">;

export interface PartitionControllerDeps {
  image(): MetadataImage;
  /** Proposes one batch; resolves once applied with its log index and how many partitions changed. */
  propose(batch: ReconcileBatch): Promise<{ offset: number; changed: number }>;
  /** Lets other work run between scan slices (a macrotask, not a timer). */
  yieldToLoop?(): Promise<void>;
  /** A background failover that could not be proposed (lost leadership, timeout…); brokerId null: the leaderless partitions' pass. */
  onError?(error: unknown, brokerId: number | null): void;
}

/** What one pass over a set of partitions did. */
export interface ReconcileOutcome {
  /** Partitions that got a new state. */
  changed: number;
  /** Entries proposed. */
  batches: number;
  /** Log index of the last entry proposed (0 when none). */
  offset: number;
}

/** Partitions checked or topics read between two yields to the event loop (a few microseconds each: a few ms a slice). */
const SCAN_SLICE = 2_000;

/** Reconcile entries proposed and not yet applied, per pass: enough to overlap commit round trips. */
const MAX_BATCHES_IN_FLIGHT = 4;

/** What start() queued: the ineligible brokers in some ISR, and how many partitions had no leader. */
export interface TakeoverWork {
  brokers: number[];
  leaderless: number;
}

const NOTHING: ReconcileOutcome = { changed: 0, batches: 0, offset: 0 };

export class PartitionController {
  private active = false;
  private readonly pending = new Set<number>();
  /** The leaderless partitions are to be checked (a takeover or a restored image found some). */
  private leaderlessDue = false;
  /**
   * Brokers in controlled shutdown, known to this leader only: no pass elects them or keeps them in
   * an ISR. A broker leaves the set when it heartbeats without wantShutdown, registers again, or is
   * fenced or unregistered; a new leader starts with none (the broker stops heartbeating and is fenced).
   */
  private readonly shuttingDown = new Set<number>();
  private draining: Promise<void> | null = null;
  private readonly yieldToLoop: () => Promise<void>;

  constructor(private readonly deps: PartitionControllerDeps) {
    this.yieldToLoop = deps.yieldToLoop ?? (() => new Promise((resolve) => setImmediate(resolve)));
  }

  get running(): boolean {
    return this.active;
  }

  /**
   * Became leader, or a snapshot replaced the image: the failovers left undone are finished. Only
   * partitions with an ineligible ISR member or without a leader can change (reconcile in
   * partition-change.ts keeps any other as it is), so only the ineligible brokers in some ISR are
   * queued, and the leaderless partitions when there are any: no pass at all in the common case.
   */
  start(): TakeoverWork {
    this.active = true;
    const image = this.deps.image();
    const { eligible } = this.passFor("failover");
    const brokers = image.brokersInAnyIsr().filter((id) => !eligible(id));
    for (const id of brokers) this.enqueue(id);
    const leaderless = image.leaderlessCount();
    if (leaderless > 0) this.enqueueLeaderless();
    return { brokers, leaderless };
  }

  stop(): void {
    this.active = false;
    this.pending.clear();
    this.leaderlessDue = false;
    this.shuttingDown.clear();
  }

  /** Brokers whose status changed are checked again; a restored image checks everyone. */
  onImageChange(change: ImageChange): void {
    if (!this.active) return;
    forEachBrokerChange(
      change,
      () => this.start(),
      (record) => {
        const id = record.fields.brokerId;
        if (record.name === "RegisterBrokerRecord" || !ACTIVE_STATUSES.includes(record.fields.brokerStatus)) this.shuttingDown.delete(id);
        if (!keepsEligibility(record)) this.enqueue(id);
      },
    );
  }

  /** A heartbeat without wantShutdown: the broker serves again, and may lead what it is the last ISR member of. */
  resume(brokerId: number): void {
    if (this.active && this.shuttingDown.delete(brokerId)) this.enqueue(brokerId);
  }

  /** Resolves once every queued broker has been handled (for tests and controlled shutdown). */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Controlled shutdown: leadership and ISR membership move off `brokerId` (the last ISR member
   * stays, leaderless). Resolves once applied, with what was done.
   */
  async controlledShutdown(brokerId: number): Promise<ReconcileOutcome> {
    this.requireActive();
    this.shuttingDown.add(brokerId);
    const { eligible, batch } = this.passFor("failover");
    return this.reconcileRuns(this.deps.image().isrPartitionRuns(brokerId), eligible, batch);
  }

  /** Preferred leader election over every partition, in bounded batches. */
  async electPreferredLeaders(): Promise<ReconcileOutcome> {
    this.requireActive();
    const { eligible, batch } = this.passFor("preferred");
    return this.reconcileRuns(this.deps.image().partitionRefRuns(), eligible, batch);
  }

  /** Who may lead in a pass starting now, and the batch fields that tell every replica the same. */
  private passFor(mode: ReconcileBatch["mode"]): { eligible: Eligible; batch: Omit<ReconcileBatch, "partitions"> } {
    const down = [...this.shuttingDown].sort((a, b) => a - b);
    return { eligible: eligibility(this.deps.image(), down), batch: down.length > 0 ? { mode, shuttingDown: down } : { mode } };
  }

  private requireActive(): void {
    if (!this.active) throw new NoLeaderError("this node stopped leading before the partitions could be moved; retry");
  }

  private enqueue(brokerId: number): void {
    this.pending.add(brokerId);
    this.startDraining();
  }

  private enqueueLeaderless(): void {
    this.leaderlessDue = true;
    this.startDraining();
  }

  private startDraining(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  private async drain(): Promise<void> {
    // Let the entry that queued this finish applying before its image is read.
    await this.yieldToLoop();
    while (this.active) {
      const brokerId = this.takeNext();
      if (brokerId === undefined) return;
      try {
        const { eligible, batch } = this.passFor("failover");
        const image = this.deps.image();
        await this.reconcileRuns(brokerId === null ? image.leaderlessPartitionRuns() : image.isrPartitionRuns(brokerId), eligible, batch);
      } catch (error) {
        // A leader that stepped down leaves the rest to its successor, which checks what is left undone.
        if (this.active) this.deps.onError?.(error, brokerId);
      }
    }
  }

  /** The next pass to run: a queued broker's partitions, null for the leaderless ones, undefined for none. */
  private takeNext(): number | null | undefined {
    const [brokerId] = this.pending;
    if (brokerId !== undefined) {
      this.pending.delete(brokerId);
      return brokerId;
    }
    if (!this.leaderlessDue) return undefined;
    this.leaderlessDue = false;
    return null;
  }

  /**
   * Checks the partitions of `runs` (a topic's at a time, read lazily: image.ts) a slice at a time
   * and proposes the ones that would change, in bounded batches, up to MAX_BATCHES_IN_FLIGHT at
   * once so commit round trips overlap (batches never share a partition: each ref comes once). A
   * slice ends after SCAN_SLICE units of work, a partition checked or a run read being one each: an
   * empty run still read a topic's memberships, so a pass that finds little still yields.
   */
  private async reconcileRuns(runs: Iterable<readonly PartitionRef[]>, eligible: Eligible, batch: Omit<ReconcileBatch, "partitions">): Promise<ReconcileOutcome> {
    let outcome = NOTHING;
    const inflight: Promise<ReconcileOutcome>[] = [];
    const send = async (partitions: PartitionRef[]) => {
      const proposal = this.proposeBatch({ ...batch, partitions });
      proposal.catch(() => {}); // observed below; a failure must not also be an unhandled rejection
      inflight.push(proposal);
      if (inflight.length >= MAX_BATCHES_IN_FLIGHT) outcome = add(outcome, await (inflight.shift() as Promise<ReconcileOutcome>));
    };
    let due: PartitionRef[] = [];
    let work = 0;
    for (const run of runs) {
      for (const ref of run) {
        if (this.wouldChange(ref, eligible, batch.mode === "preferred")) due.push(ref);
        if (due.length === MAX_PARTITIONS_PER_CHANGE) {
          await send(due);
          due = [];
        }
        if (++work % SCAN_SLICE === 0) await this.yieldToLoop();
        this.requireStillLeading();
      }
      if (++work % SCAN_SLICE === 0) await this.yieldToLoop();
      this.requireStillLeading();
    }
    if (due.length > 0) await send(due);
    for (const proposal of inflight.splice(0)) outcome = add(outcome, await proposal);
    return outcome;
  }

  private requireStillLeading(): void {
    if (!this.active) throw new NoLeaderError("leadership was lost while moving partitions; the new leader finishes failovers, retry an election");
  }

  private wouldChange(ref: PartitionRef, eligible: Eligible, preferred: boolean): boolean {
    const partition = this.deps.image().partition(ref.topicUUID, ref.partitionId);
    if (partition === undefined) return false;
    return wouldChange(partition.fields, reconcile(partition.fields, eligible, preferred));
  }

  private async proposeBatch(batch: ReconcileBatch): Promise<ReconcileOutcome> {
    invariant(batch.partitions.length > 0 && batch.partitions.length <= MAX_PARTITIONS_PER_CHANGE, () => `a reconcile batch of ${batch.partitions.length} partitions`);
    const { offset, changed } = await this.deps.propose(batch);
    return { changed, batches: 1, offset };
  }
}

/**
 * A change record that leaves its broker INIT or ALIVE (a host or port update, the first
 * heartbeat) cannot change who may lead or stay in an ISR: those statuses are only ever reached
 * from INIT, already active, while a broker coming back from FENCED is UNFENCED. Skipping them
 * spares the leader a pass per broker update under a steady stream of them.
 */
function keepsEligibility(record: BrokerRecord): boolean {
  return record.name === "RegistrationChangeBrokerRecord" && (record.fields.brokerStatus === "INIT" || record.fields.brokerStatus === "ALIVE");
}

function add(a: ReconcileOutcome, b: ReconcileOutcome): ReconcileOutcome {
  return { changed: a.changed + b.changed, batches: a.batches + b.batches, offset: Math.max(a.offset, b.offset) };
}
