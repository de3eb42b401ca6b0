// MetadataService over a ConsensusHandle. Writes: the node that receives one gives it a request id
// (the client's Idempotency-Key, or a fresh one); the leader stamps a command, answers at once if
// the id was already applied, checks it against its image (early, cheap) and proposes it; the
// check at apply is the authority, and apply answers a known id with its first result, so a write
// retried or re-routed under its id applies once. A follower forwards the write to the leader and
// waits (bounded) to apply the result itself, so a caller reads its own writes on any node. Reads
// are linearizable (read barrier) unless "stale".
import { type ConsensusHandle, NoLeaderError, NotLeaderError, type Unsubscribe } from "../node/contracts.ts";
import type { NodeId } from "../raft/types.ts";
import { type ApplyError, isApplyResult } from "./apply-result.ts";
import { type Clock, systemClock } from "./clock.ts";
import { preview } from "./preview.ts";
import { MetadataError, badRequest, conflict, notFound } from "./errors.ts";
import { type ForwardReply, type ForwardRequest, decodeForwardReply, decodeForwardRequest, encodeForward, errorReply, replyError } from "./forwarding.ts";
import { decodeSnapshot } from "./image-codec.ts";
import type { MetadataImage } from "./image.ts";
import {
  DEFAULT_DIFF_WINDOW_MS,
  DEFAULT_FORWARD_APPLY_WAIT_MS,
  DEFAULT_SESSION_TIMEOUT_MS,
  MAX_BROKER_ID,
  MAX_BROKERS,
  MAX_LOG_PAGE,
} from "./limits.ts";
import { HeartbeatBatch, type HeartbeatOutcome } from "./heartbeat-batch.ts";
import { invariant } from "./invariant.ts";
import { isoStamper } from "./iso-stamp.ts";
import { HeartbeatCoalescer } from "./heartbeat-coalescer.ts";
import { LongPolls } from "./long-polls.ts";
import { SharedBarrier } from "./shared-barrier.ts";
import { SharedAnswers } from "./shared-answers.ts";
import { BrokerLiveness, type LivenessChange } from "./liveness.ts";
import { PartitionController, type ReconcileBatch } from "./partition-controller.ts";
import { type FetchDeps, appliedOffset, fetchMetadata, parseFetch, watchAnswer } from "./metadata-fetch.ts";
import { ACTIVE_STATUSES, BROKER_STATUSES, type BrokerStatus, type MetadataRecord, type PartitionRecord, type ProducerIdsRecord, type RegisterBrokerRecord, type RegistrationChangeBrokerRecord, type RemoveTopicRecord, type TopicRecord } from "./records.ts";
import { clientRequestId, isClientRequestId, nodeRequestId } from "./request-ids.ts";
import type {
  AlterPartitionRequest,
  BrokerView,
  Consistency,
  ControllerOutcome,
  CreatePartitionRequest,
  CreatePartitionsRequest,
  ReassignPartitionRequest,
  CreateTopicRequest,
  LogPage,
  MetadataAnswer,
  MetadataFetch,
  MetadataService,
  MetadataSnapshotBody,
  RegisterBrokerRequest,
  RegisterProducerRequest,
  TopicView,
  UpdateBrokerRequest,
  WatchFrom,
  WriteOptions,
} from "./service-types.ts";
import type { MetadataStateMachine } from "./state-machine.ts";
import { SHAPE_CHECK_STAMP, type WriteRequest, buildCommand } from "./write-requests.ts";

export interface MetadataServiceOptions {
  handle: ConsensusHandle;
  stateMachine: MetadataStateMachine;
  clock?: Clock;
  /** A broker silent this long is fenced (default 9000 ms). */
  sessionTimeoutMs?: number;
  /** A `since` older than this gets a snapshot instead of a diff (default 600 s). */
  diffWindowMs?: number;
  /** Bound on a follower's wait to apply its own forwarded write (default 5000 ms). */
  forwardApplyWaitMs?: number;
  /** Fresh ids for brokers and topics (default crypto.randomUUID). */
  newId?: () => string;
  /** Fresh request ids for writes that come without an Idempotency-Key (default crypto.randomUUID). */
  newRequestId?: () => string;
  /** Structured log line for background failures (fencing that could not be proposed). */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Runs its argument once the event loop has turned (default setImmediate): when a follower sends its batch of heartbeats, and between slices of woken long polls. */
  defer?: (fn: () => void) => void;
  /** The same for the shared read barrier of a turn's fetches (default setImmediate), apart so a test can turn the others by hand. */
  barrierDefer?: (fn: () => void) => void;
}

export interface MetadataServiceHandle extends MetadataService {
  /** Brokers whose session timer runs on this node (empty unless leader). */
  trackedBrokers(): number[];
  /** Resolves once the controller has handled every broker change queued so far (tests, benchmarks). */
  controllerSettled(): Promise<void>;
  /** Stops liveness timers and listeners; the service must not be used afterwards. */
  stop(): void;
}

export function createMetadataService(opts: MetadataServiceOptions): MetadataServiceHandle {
  return new DefaultMetadataService(opts);
}

class DefaultMetadataService implements MetadataServiceHandle {
  private readonly handle: ConsensusHandle;
  private readonly sm: MetadataStateMachine;
  private readonly clock: Clock;
  /** The clock's time as the leader stamps a command. */
  private readonly stampNow: () => string;
  private readonly diffWindowMs: number;
  private readonly forwardApplyWaitMs: number;
  private readonly newId: () => string;
  private readonly newRequestId: () => string;
  private readonly logEvent: (event: string, fields: Record<string, unknown>) => void;
  private readonly liveness: BrokerLiveness;
  private readonly heartbeats: HeartbeatCoalescer;
  private readonly heartbeatBatch: HeartbeatBatch;
  private readonly controller: PartitionController;
  private readonly fetchDeps: FetchDeps;
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(opts: MetadataServiceOptions) {
    this.handle = opts.handle;
    this.sm = opts.stateMachine;
    this.clock = opts.clock ?? systemClock();
    const clock = this.clock;
    this.stampNow = isoStamper(() => clock.now());
    this.diffWindowMs = positive("diffWindowMs", opts.diffWindowMs ?? DEFAULT_DIFF_WINDOW_MS);
    this.forwardApplyWaitMs = positive("forwardApplyWaitMs", opts.forwardApplyWaitMs ?? DEFAULT_FORWARD_APPLY_WAIT_MS);
    this.newId = opts.newId ?? (() => crypto.randomUUID());
    this.newRequestId = opts.newRequestId ?? (() => crypto.randomUUID());
    const defer = opts.defer ?? ((fn: () => void) => setImmediate(fn));
    const polls = new LongPolls(this.clock, defer);
    this.fetchDeps = { handle: this.handle, sm: this.sm, clock: this.clock, diffWindowMs: this.diffWindowMs, answers: new SharedAnswers(), polls, barrier: new SharedBarrier(() => this.handle.readBarrier(), opts.barrierDefer ?? ((fn: () => void) => setImmediate(fn))) };
    this.logEvent = opts.log ?? (() => {});
    const sessionTimeoutMs = positive("sessionTimeoutMs", opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS);
    this.heartbeats = new HeartbeatCoalescer(this.clock, sessionTimeoutMs, MAX_BROKERS);
    this.heartbeatBatch = new HeartbeatBatch((ids) => this.forwardHeartbeats(ids), defer);
    this.liveness = new BrokerLiveness({
      clock: this.clock,
      sessionTimeoutMs,
      statusOf: (id) => this.sm.image().broker(id)?.fields.brokerStatus,
      activeBrokerIds: () => this.sm.image().activeBrokers().map((b) => b.fields.brokerId),
      propose: (id, change) => this.proposeLivenessChange(id, change),
      onError: (error, brokerId) => this.logEvent("fence_failed", { brokerId, error: String(error) }),
    });
    this.controller = new PartitionController({
      image: () => this.sm.image(),
      propose: (batch) => this.proposeReconcile(batch),
      onError: (error, brokerId) => this.logEvent("failover_failed", { brokerId, error: String(error) }),
    });
    this.unsubscribes.push(this.sm.onChange(() => polls.notify(appliedOffset(this.fetchDeps))));
    this.unsubscribes.push(this.sm.onChange((change) => this.liveness.onImageChange(change)));
    this.unsubscribes.push(this.sm.onChange((change) => this.controller.onImageChange(change)));
    this.unsubscribes.push(this.handle.onRoleChange((role) => (role === "leader" ? this.startLeading() : this.stopLeading())));
    this.handle.onForward((payload, from) => this.serveForward(payload, from));
    if (this.handle.isLeader()) this.startLeading();
  }

  stop(): void {
    for (const off of this.unsubscribes.splice(0)) off();
    this.stopLeading();
    this.fetchDeps.polls.cancelAll();
  }

  trackedBrokers(): number[] {
    return this.liveness.tracked();
  }

  controllerSettled(): Promise<void> {
    return this.controller.settled();
  }

  private startLeading(): void {
    this.heartbeats.clear();
    this.liveness.start();
    const work = this.controller.start();
    // What the takeover left for the controller (nothing, when the predecessor finished its failovers).
    this.logEvent("controller_started", { brokersToCheck: work.brokers, leaderlessPartitions: work.leaderless });
  }

  private stopLeading(): void {
    this.heartbeats.clear();
    this.liveness.stop();
    this.controller.stop();
  }

  // ---- brokers -------------------------------------------------------------------------------

  async registerBroker(request: RegisterBrokerRequest, opts?: WriteOptions): Promise<RegisterBrokerRecord> {
    return only(await this.write({ kind: "registerBroker", request }, opts), "RegisterBrokerRecord");
  }

  async listBrokers(opts: { status?: BrokerStatus; all?: boolean; consistency?: Consistency }): Promise<BrokerView[]> {
    if (opts.status !== undefined && !BROKER_STATUSES.includes(opts.status)) {
      throw badRequest(`status ${preview(opts.status)} is not one of ${BROKER_STATUSES.join(", ")}`);
    }
    const image = await this.read(opts.consistency);
    const brokers = image.allBrokers();
    if (opts.status !== undefined) return brokers.filter((b) => b.fields.brokerStatus === opts.status);
    return opts.all ? brokers : brokers.filter((b) => ACTIVE_STATUSES.includes(b.fields.brokerStatus));
  }

  async getBroker(brokerId: number, consistency?: Consistency): Promise<BrokerView> {
    checkBrokerId(brokerId);
    const broker = (await this.read(consistency)).broker(brokerId);
    if (!broker) throw notFound(`broker ${brokerId} is not registered`);
    return broker;
  }

  async leaderCounts(consistency?: Consistency): Promise<Map<number, number>> {
    const image = await this.read(consistency);
    return new Map(image.allBrokers().map((b) => [b.fields.brokerId, image.leaderCount(b.fields.brokerId)] as const).filter(([, n]) => n > 0));
  }

  async updateBroker(brokerId: number, request: UpdateBrokerRequest, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord> {
    checkBrokerId(brokerId);
    return only(await this.write({ kind: "updateBroker", brokerId, request }, opts), "RegistrationChangeBrokerRecord");
  }

  async unregisterBroker(brokerId: number, opts?: WriteOptions): Promise<RegistrationChangeBrokerRecord> {
    checkBrokerId(brokerId);
    return only(await this.write({ kind: "unregisterBroker", brokerId }, opts), "RegistrationChangeBrokerRecord");
  }

  // ---- topics, partitions, producers ---------------------------------------------------------

  async createTopic(request: CreateTopicRequest, opts?: WriteOptions): Promise<TopicView> {
    const records = await this.write({ kind: "createTopic", request }, opts);
    const [topic, ...partitions] = records;
    if (topic?.name !== "TopicRecord" || partitions.some((p) => p.name !== "PartitionRecord")) {
      throw new Error(`createTopic produced unexpected records: ${records.map((r) => r.name).join(", ")}`);
    }
    return { topic, partitions: partitions as PartitionRecord[] };
  }

  async getTopic(name: string, consistency?: Consistency): Promise<TopicView> {
    const image = await this.read(consistency);
    const topic = image.topicByName(name);
    if (!topic) throw notFound(`topic ${preview(name)} does not exist`);
    return { topic, partitions: image.partitionsOf(topic.fields.topicUUID) };
  }

  async listTopics(consistency?: Consistency): Promise<TopicRecord[]> {
    return (await this.read(consistency)).allTopics();
  }

  async createPartition(topicName: string, request: CreatePartitionRequest, opts?: WriteOptions): Promise<PartitionRecord> {
    return only(await this.write({ kind: "createPartition", topicName, request }, opts), "PartitionRecord");
  }

  async createPartitions(topicName: string, request: CreatePartitionsRequest, opts?: WriteOptions): Promise<PartitionRecord[]> {
    const records = await this.write({ kind: "createPartitions", topicName, request }, opts);
    if (records.some((r) => r.name !== "PartitionRecord")) throw new Error(`createPartitions produced ${records.map((r) => r.name).join(", ")}`);
    return records as PartitionRecord[];
  }

  async deleteTopic(name: string, opts?: WriteOptions): Promise<RemoveTopicRecord> {
    return only(await this.write({ kind: "deleteTopic", name }, opts), "RemoveTopicRecord");
  }

  async registerProducer(request: RegisterProducerRequest, opts?: WriteOptions): Promise<ProducerIdsRecord> {
    return only(await this.write({ kind: "registerProducer", request }, opts), "ProducerIdsRecord");
  }

  // ---- partition changes (the controller) ----------------------------------------------------

  async alterPartition(topicName: string, partitionId: number, request: AlterPartitionRequest, opts?: WriteOptions): Promise<PartitionRecord> {
    return this.partitionAfter(await this.write({ kind: "alterPartition", topicName, partitionId, request }, opts), topicName, partitionId);
  }

  async reassignPartition(topicName: string, partitionId: number, request: ReassignPartitionRequest, opts?: WriteOptions): Promise<PartitionRecord> {
    return this.partitionAfter(await this.write({ kind: "reassignPartition", topicName, partitionId, request }, opts), topicName, partitionId);
  }

  async cancelReassignment(topicName: string, partitionId: number, opts?: WriteOptions): Promise<PartitionRecord> {
    return this.partitionAfter(await this.write({ kind: "cancelReassignment", topicName, partitionId }, opts), topicName, partitionId);
  }

  async electLeader(topicName: string, partitionId: number, opts?: WriteOptions): Promise<PartitionRecord> {
    return this.partitionAfter(await this.write({ kind: "electLeader", topicName, partitionId }, opts), topicName, partitionId);
  }

  async electLeaders(): Promise<ControllerOutcome> {
    if (this.handle.isLeader()) {
      if (!this.controller.running) this.startLeading();
      return this.controller.electPreferredLeaders();
    }
    const reply = await this.forward({ op: "electLeaders" });
    await this.handle.waitApplied(reply.offset, this.forwardApplyWaitMs);
    return { changed: reply.changed ?? 0, batches: reply.batches ?? 0, offset: reply.offset };
  }

  /** The one changed partition, or (a change already in effect wrote nothing) its state now. */
  private partitionAfter(records: MetadataRecord[], topicName: string, partitionId: number): PartitionRecord {
    if (records.length > 0) return only(records, "PartitionRecord");
    const image = this.sm.image();
    const topic = image.topicByName(topicName);
    const partition = topic && image.partition(topic.fields.topicUUID, partitionId);
    if (!partition) throw notFound(`partition ${partitionId} of topic ${preview(topicName)} does not exist`);
    return partition;
  }

  // ---- metadata fetches ----------------------------------------------------------------------

  async brokerMetadata(brokerId: number, fetch: MetadataFetch, opts: { wantShutdown?: boolean } = {}): Promise<MetadataAnswer> {
    checkBrokerId(brokerId);
    const parsed = parseFetch(fetch);
    const wantShutdown = opts.wantShutdown === true;
    if (!this.heartbeatCoalesced(brokerId, wantShutdown)) {
      const offset = this.handle.isLeader() ? await this.heartbeatAsLeader(brokerId, wantShutdown) : await this.forwardHeartbeat(brokerId, wantShutdown);
      if (wantShutdown) this.heartbeats.forget(brokerId);
      else this.heartbeats.passed(brokerId);
      await this.handle.waitApplied(offset, this.forwardApplyWaitMs);
    }
    return fetchMetadata(this.fetchDeps, "broker", parsed);
  }

  /**
   * A plain heartbeat of a serving broker whose last one reached the leader within the window
   * (heartbeat-coalescer.ts) changes nothing: no status change is due (INIT and FENCED brokers
   * always go through), and the leader's session timer for it has most of its time left.
   */
  private heartbeatCoalesced(brokerId: number, wantShutdown: boolean): boolean {
    if (wantShutdown || !this.heartbeats.recent(brokerId)) return false;
    if (this.handle.isLeader() && !this.liveness.running) return false;
    const status = this.sm.image().broker(brokerId)?.fields.brokerStatus;
    return status === "ALIVE" || status === "UNFENCED";
  }

  /**
   * A serving broker's plain heartbeat goes with the others of this loop turn (heartbeat-batch.ts);
   * one that may change its status (INIT, FENCED, a controlled shutdown) goes alone, so it never
   * waits for another broker's status change, nor holds up theirs.
   */
  private async forwardHeartbeat(brokerId: number, wantShutdown: boolean): Promise<number> {
    const status = this.sm.image().broker(brokerId)?.fields.brokerStatus;
    if (!wantShutdown && (status === "ALIVE" || status === "UNFENCED")) return this.heartbeatBatch.heartbeat(brokerId);
    return (await this.forward({ op: "heartbeat", brokerId, ...(wantShutdown ? { wantShutdown } : {}) })).offset;
  }

  /**
   * One forward for a batch of plain heartbeats; each broker's outcome comes back on its own. A
   * leader of an older version, which knows only single heartbeats, refuses the batch as a bad
   * request: then each goes alone, so a rolling upgrade keeps every broker alive.
   */
  private async forwardHeartbeats(brokerIds: number[]): Promise<Map<number, HeartbeatOutcome>> {
    let reply: ForwardReply & { ok: true };
    try {
      reply = await this.forward({ op: "heartbeats", brokerIds });
    } catch (error) {
      if (!(error instanceof MetadataError && error.code === "bad_request")) throw error;
      const alone = (brokerId: number) => this.forward({ op: "heartbeat", brokerId }).then((r): HeartbeatOutcome => r.offset, (e: Error): HeartbeatOutcome => e);
      return new Map(await Promise.all(brokerIds.map(async (id) => [id, await alone(id)] as const)));
    }
    const outcomes = new Map<number, HeartbeatOutcome>();
    for (const h of reply.heartbeats ?? []) outcomes.set(h.brokerId, h.error ? replyError(h.error) : (h.offset ?? 0));
    return outcomes;
  }

  async clientMetadata(fetch: MetadataFetch): Promise<MetadataAnswer> {
    return fetchMetadata(this.fetchDeps, "client", parseFetch(fetch));
  }

  async metadata(fetch: MetadataFetch): Promise<MetadataAnswer> {
    return fetchMetadata(this.fetchDeps, "broker", parseFetch(fetch));
  }

  watch(from: WatchFrom): MetadataAnswer {
    return watchAnswer(this.fetchDeps, from);
  }

  async log(from: number, limit: number): Promise<LogPage> {
    if (!Number.isSafeInteger(from) || from < 0) throw badRequest(`from must be a non-negative integer offset, got ${preview(from)}`);
    if (!Number.isSafeInteger(limit) || limit < 1) throw badRequest(`limit must be a positive integer, got ${preview(limit)}`);
    const history = this.sm.history;
    return {
      firstOffset: history.floor + 1,
      lastOffset: appliedOffset(this.fetchDeps),
      records: history.page(from, Math.min(limit, MAX_LOG_PAGE)),
    };
  }

  historyMetrics(): Record<string, number> {
    const history = this.sm.history;
    return { yakt_history_records: history.size, yakt_history_own_bytes: history.ownBytes, yakt_history_floor_offset: history.floor };
  }

  decodeSnapshot(data: Uint8Array): MetadataSnapshotBody {
    const decoded = decodeSnapshot(data);
    if (!decoded.ok) throw badRequest(decoded.message);
    return decoded.value.image.body();
  }

  // ---- internals -----------------------------------------------------------------------------

  private async read(consistency: Consistency = "linearizable"): Promise<MetadataImage> {
    if (consistency === "linearizable") await this.handle.readBarrier();
    else if (consistency !== "stale") throw badRequest(`consistency ${preview(consistency)} is not "linearizable" or "stale"`);
    return this.sm.image();
  }

  private async write(request: WriteRequest, opts: WriteOptions = {}): Promise<MetadataRecord[]> {
    const key = opts.idempotencyKey;
    const requestId = key === undefined ? nodeRequestId(this.newRequestId()) : clientRequestId(key);
    const write = { ...request, requestId } as WriteRequest;
    if (this.handle.isLeader()) {
      try {
        // An id this node has just made up cannot be remembered yet: no recall on this first try.
        return (await this.writeAsLeader(write, key === undefined)).records;
      } catch (error) {
        // Leadership moved before the entry was appended (NotLeaderError), or after, leaving its
        // outcome unknown (NoLeaderError and its kinds): either way the write goes to the leader
        // now known under the same request id, which answers it once, applied or not.
        if (!(error instanceof NotLeaderError || error instanceof NoLeaderError)) throw error;
      }
    }
    buildCommand(write, SHAPE_CHECK_STAMP); // a malformed request fails here, before any round trip
    const reply = await this.forwardWrite(write);
    // The write is committed either way; the wait only makes this node's reads include it.
    await this.handle.waitApplied(reply.offset, this.forwardApplyWaitMs);
    return reply.records;
  }

  /**
   * `freshId`: the write's request id was made up by this node for this very call, so no entry can
   * carry it yet and looking it up in the table of remembered ids (a Map of up to its bound of
   * random keys: a cache miss or two on every write) is skipped. A forwarded write or a client's
   * key may be a retry and is always looked up.
   */
  private async writeAsLeader(write: WriteRequest, freshId = false): Promise<{ offset: number; records: MetadataRecord[] }> {
    const command = buildCommand(write, { timestamp: this.stampNow(), newId: this.newId });
    const recalled = freshId ? null : this.sm.recall(command);
    if (recalled !== null) {
      // Applied before (a retry): the first answer again, and nothing proposed.
      if (!recalled.result.ok) throw applyError(recalled.result.error);
      return { offset: recalled.offset, records: recalled.result.records };
    }
    const early = this.sm.check(command);
    // A client's key promises the same answer on a retry, a refusal included: that takes an entry
    // whose apply remembers the refusal. Without a key the early refusal saves the entry.
    if (!early.ok && !isClientRequestId(command.requestId)) throw applyError(early.error);
    const { index, result } = await this.handle.propose(this.sm.encode(command));
    if (!isApplyResult(result)) throw new Error(`entry ${index} was applied by something other than the metadata state machine`);
    if (!result.ok) throw applyError(result.error);
    return { offset: index, records: result.records };
  }

  /** The heartbeat's status change, then (controlled shutdown) leadership moved off the broker. */
  private async heartbeatAsLeader(brokerId: number, wantShutdown: boolean): Promise<number> {
    const broker = this.sm.image().broker(brokerId);
    if (!broker) throw notFound(`broker ${brokerId} is not registered`);
    if (broker.fields.brokerStatus === "CLOSED") throw conflict(`broker ${brokerId} is CLOSED (unregistered); register it again first`);
    if (!this.liveness.running) this.startLeading();
    const index = await this.liveness.heartbeat(brokerId);
    if (!wantShutdown) {
      this.controller.resume(brokerId);
      return index;
    }
    const moved = await this.controller.controlledShutdown(brokerId);
    return Math.max(index, moved.offset);
  }

  private async proposeReconcile(batch: ReconcileBatch): Promise<{ offset: number; changed: number }> {
    const command = { kind: "reconcilePartitions" as const, timestamp: this.stampNow(), ...batch };
    const { index, result } = await this.handle.propose(this.sm.encode(command));
    if (!isApplyResult(result)) throw new Error(`entry ${index} was applied by something other than the metadata state machine`);
    if (!result.ok) throw applyError(result.error);
    return { offset: index, changed: result.records.length };
  }

  private async proposeLivenessChange(brokerId: number, change: LivenessChange): Promise<number> {
    const command = { kind: "changeBroker" as const, timestamp: this.stampNow(), brokerId, change };
    const { index } = await this.handle.propose(this.sm.encode(command));
    return index;
  }

  /**
   * One more try when the first ended with the leader gone: it answered not_leader (it was
   * handing leadership over, or had just lost it), or lost leadership after appending the write
   * (outcome unknown). The try goes to the leader now known under the same request id, so a first
   * attempt that was appended after all is answered, not applied, again.
   */
  private async forwardWrite(write: WriteRequest): Promise<ForwardReply & { ok: true }> {
    try {
      return await this.forward({ op: "write", write });
    } catch (error) {
      if (!(error instanceof NotLeaderError || error instanceof NoLeaderError)) throw error;
      return this.forward({ op: "write", write });
    }
  }

  private async forward(request: ForwardRequest): Promise<ForwardReply & { ok: true }> {
    const reply = decodeForwardReply(await this.handle.forwardToLeader(encodeForward(request)));
    if (!reply.ok) throw replyError(reply.error);
    return reply;
  }

  /** Leader side of forwarding; every failure becomes an error reply, never a rejection. */
  private async serveForward(payload: Uint8Array, _from: NodeId): Promise<Uint8Array> {
    try {
      const request = decodeForwardRequest(payload);
      if (!this.handle.isLeader()) throw this.notLeaderError();
      if (request.op === "heartbeat") {
        return encodeForward({ ok: true, offset: await this.heartbeatAsLeader(request.brokerId, request.wantShutdown === true), records: [] });
      }
      if (request.op === "heartbeats") return encodeForward(await this.heartbeatsAsLeader(request.brokerIds));
      if (request.op === "electLeaders") {
        const { offset, changed, batches } = await this.controller.electPreferredLeaders();
        return encodeForward({ ok: true, offset, records: [], changed, batches });
      }
      const { offset, records } = await this.writeAsLeader(request.write);
      return encodeForward({ ok: true, offset, records });
    } catch (error) {
      return encodeForward(errorReply(error));
    }
  }

  /** A follower's batch of plain heartbeats: each broker's, as if it had come alone. */
  private async heartbeatsAsLeader(brokerIds: number[]): Promise<ForwardReply> {
    const heartbeats = await Promise.all(brokerIds.map((brokerId) => this.heartbeatOutcome(brokerId)));
    const offset = heartbeats.reduce((max, h) => Math.max(max, h.offset ?? 0), 0);
    return { ok: true, offset, records: [], heartbeats };
  }

  private async heartbeatOutcome(brokerId: number): Promise<BatchedHeartbeat> {
    try {
      return { brokerId, offset: await this.heartbeatAsLeader(brokerId, false) };
    } catch (error) {
      const reply = errorReply(error);
      invariant(!reply.ok, () => `broker ${brokerId}'s failed heartbeat made an ok reply`);
      return { brokerId, error: reply.error };
    }
  }

  private notLeaderError(): Error {
    return replyError({ code: this.handle.leaderId() ? "not_leader" : "no_leader", message: `node ${this.handle.nodeId} is not the leader`, leader: this.handle.leaderId() });
  }
}

type BatchedHeartbeat = NonNullable<(ForwardReply & { ok: true })["heartbeats"]>[number];

function applyError(error: ApplyError): Error {
  return error.code === "internal" ? new Error(error.message) : new MetadataError(error.code, error.message);
}

function only<N extends MetadataRecord["name"]>(records: MetadataRecord[], name: N): Extract<MetadataRecord, { name: N }> {
  if (records.length !== 1 || records[0].name !== name) {
    throw new Error(`expected one ${name}, got ${records.map((r) => r.name).join(", ") || "nothing"}`);
  }
  return records[0] as Extract<MetadataRecord, { name: N }>;
}

function checkBrokerId(brokerId: number): void {
  if (!Number.isInteger(brokerId) || brokerId < 0 || brokerId > MAX_BROKER_ID) {
    throw badRequest(`brokerId must be an integer from 0 to ${MAX_BROKER_ID}, got ${preview(brokerId)}`);
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
