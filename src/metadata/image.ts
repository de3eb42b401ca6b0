// The in-memory metadata image: the current state the committed records add up to. It changes only
// through commit(), with records the planner has already checked, so a rejected command leaves no
// trace. Queries return records as the API shows them (brokers as their RegisterBrokerRecord).
import { freezeRecord } from "./apply-result.ts";
import { invariant } from "./invariant.ts";
import { IsrIndex, type PartitionRef } from "./isr-index.ts";
import { PartitionTable } from "./partition-table.ts";
import { type RecordSource, imageSource } from "./record-refs.ts";
import { ACTIVE_STATUSES, type MetadataRecord, NO_LEADER, type PartitionRecord, type ProducerIdsRecord, type RegistrationChangeBrokerRecord, type RemoveTopicRecord, type TopicRecord, unhandled } from "./records.ts";
import type { BrokerView, MetadataSnapshotBody } from "./service-types.ts";
import { ShardedMap } from "./sharded-map.ts";
import { collisionKey } from "./topic-name.ts";

/** The epoch of a slot adopted from another image: never the image's own, so copied before a change. */
const SHARED_EPOCH = -1;

/** One topic's partitions, tagged with the capture epoch it was created in (copy-on-write). */
interface PartitionSlot {
  readonly epoch: number;
  readonly byId: PartitionTable;
}

/**
 * The image as it stood when captured: copies of the maps holding references to frozen records.
 * Later commits replace records and copy a topic's partition map before changing it, so a capture
 * never changes. Unordered; the snapshot encoder sorts it in slices.
 */
export interface ImageCapture {
  readonly brokers: ReadonlyMap<number, BrokerView>;
  readonly topics: ReadonlyMap<string, TopicRecord>;
  readonly partitions: ReadonlyMap<string, { readonly byId: ReadonlyMap<number, PartitionRecord> }>;
  readonly producers: ReadonlyMap<number, ProducerIdsRecord>;
  readonly nextProducerId: number;
}

/** Told each record the image lets go of in a commit (the diff history weighs what it then holds alone). */
export type Replaced = (record: MetadataRecord) => void;

const ignoreReplaced: Replaced = () => {};

/** Loads a snapshot's records into a new image (MetadataImage.loader()). */
export interface ImageLoader {
  broker(record: BrokerView): void;
  topic(record: TopicRecord): void;
  /** Partitions of topics loaded already, in runs of one topic's (any run may be split). */
  partitions(records: readonly PartitionRecord[]): void;
  /**
   * All partitions of a topic loaded already, none loaded yet: the very table the lender (the
   * image the loader was made with) holds, shared, which the decoder found equal record for record.
   */
  adopt(topicUUID: string): void;
  producer(record: ProducerIdsRecord): void;
  /** The records loaded so far, by identity (a snapshot's remembered requests refer to them). */
  readonly records: RecordSource;
  /** The loaded image, with the producer id counter of the snapshot. */
  finish(producerCounter: number): MetadataImage;
}

export class MetadataImage {
  private readonly brokers = new Map<number, BrokerView>();
  // Maps that can grow to hundreds of thousands are sharded, so a capture never copies them whole.
  private readonly topics = new ShardedMap<string, TopicRecord>();
  private readonly topicIdByName = new Map<string, string>();
  private readonly nameByCollisionKey = new Map<string, string>();
  private readonly partitions = new ShardedMap<string, PartitionSlot>();
  private readonly producers = new ShardedMap<number, ProducerIdsRecord>();
  private readonly isr = new IsrIndex();
  /** Partitions each broker leads (leaderless ones are not counted). */
  private readonly leaderCounts = new Map<number, number>();
  /**
   * Topic UUID -> how many of its partitions have no leader ("-1"); topics with none are absent.
   * A new leader's controller finds the partitions it may have to elect a leader for here, not by
   * reading every partition (partition-controller.ts start()).
   */
  private readonly leaderlessByTopic = new Map<string, number>();
  private leaderlessTotal = 0;
  private partitionTotal = 0;
  /** Lowest producer id not yet used that auto-allocation may hand out (kept in snapshots). */
  private producerCounter = 0;
  /** Bumped by capture(): a partition slot from an older epoch may be shared and is copied before a change. */
  private captureEpoch = 0;

  // ---- queries -------------------------------------------------------------------------------

  broker(brokerId: number): BrokerView | undefined {
    return this.brokers.get(brokerId);
  }

  allBrokers(): BrokerView[] {
    return [...this.brokers.values()].sort((a, b) => a.fields.brokerId - b.fields.brokerId);
  }

  activeBrokers(): BrokerView[] {
    return this.allBrokers().filter((b) => ACTIVE_STATUSES.includes(b.fields.brokerStatus));
  }

  brokerCount(): number {
    return this.brokers.size;
  }

  topicByName(name: string): TopicRecord | undefined {
    const id = this.topicIdByName.get(name);
    return id === undefined ? undefined : this.topics.get(id);
  }

  topicById(topicUUID: string): TopicRecord | undefined {
    return this.topics.get(topicUUID);
  }

  /** The existing name that `name` collides with by "." vs "_", if any (itself included). */
  collidingName(name: string): string | undefined {
    return this.nameByCollisionKey.get(collisionKey(name));
  }

  allTopics(): TopicRecord[] {
    return [...this.topics.values()].sort((a, b) => compareText(a.fields.name, b.fields.name));
  }

  topicCount(): number {
    return this.topics.size;
  }

  /** Names of up to `limit` topics in no set order: unsorted, so cheap at any size (a start-up warm-up picks its reads from them). */
  someTopicNames(limit: number): string[] {
    const names: string[] = [];
    for (const name of this.topicIdByName.keys()) {
      if (names.length >= limit) break;
      names.push(name);
    }
    return names;
  }

  partition(topicUUID: string, partitionId: number): PartitionRecord | undefined {
    return this.partitions.get(topicUUID)?.byId.get(partitionId);
  }

  /** The topic's partitions by id, for reading only (a snapshot decoder compares against them). */
  partitionTable(topicUUID: string): ReadonlyMap<number, PartitionRecord> | undefined {
    return this.partitions.get(topicUUID)?.byId;
  }

  /** The topic's partitions in id order (the order a PartitionTable walks them; forEach, not its generator). */
  partitionsOf(topicUUID: string): PartitionRecord[] {
    const out: PartitionRecord[] = [];
    this.partitions.get(topicUUID)?.byId.forEach((record) => out.push(record));
    return out;
  }

  partitionCount(): number {
    return this.partitionTotal;
  }

  /** Partitions whose ISR holds `brokerId` (so every partition it leads, too). */
  isrPartitionsOf(brokerId: number): PartitionRef[] {
    return this.isr.partitionsOf(brokerId);
  }

  /** isrPartitionsOf(), lazily and a topic's at a time (a run per topic, often empty: isr-index.ts partitionRuns). */
  isrPartitionRuns(brokerId: number): Generator<PartitionRef[]> {
    return this.isr.partitionRuns(brokerId);
  }

  /** Brokers in at least one ISR, ascending. */
  brokersInAnyIsr(): number[] {
    return this.isr.brokers();
  }

  /** How many partitions `brokerId` leads now. */
  leaderCount(brokerId: number): number {
    return this.leaderCounts.get(brokerId) ?? 0;
  }

  /** How many partitions have no leader ("-1"). */
  leaderlessCount(): number {
    return this.leaderlessTotal;
  }

  /**
   * The partitions that have no leader, a run per topic that has some (each in id order). Lazy,
   * each topic read in one go when it is reached: commits between two runs are safe to make.
   */
  *leaderlessPartitionRuns(): Generator<PartitionRef[]> {
    for (const topicUUID of this.leaderlessByTopic.keys()) {
      const run: PartitionRef[] = [];
      for (const p of this.partitionsOf(topicUUID)) if (p.fields.leader === NO_LEADER) run.push({ topicUUID, partitionId: p.fields.partitionId });
      yield run;
    }
  }

  /** Every partition of every topic, topic by topic (topics unsorted, each topic's in id order). */
  *partitionRefs(): Generator<PartitionRef> {
    for (const run of this.partitionRefRuns()) yield* run;
  }

  /** partitionRefs(), a run per topic, each read in one go when it is reached (commits between two runs are safe). */
  *partitionRefRuns(): Generator<PartitionRef[]> {
    for (const [topicUUID, slot] of this.partitions) yield [...slot.byId.keys()].map((partitionId) => ({ topicUUID, partitionId }));
  }

  producer(producerId: number): ProducerIdsRecord | undefined {
    return this.producers.get(producerId);
  }

  /** Whether this very record (not an equal one) is the image's now: records it never holds answer false. */
  holds(record: MetadataRecord): boolean {
    switch (record.name) {
      case "RegisterBrokerRecord":
        return this.brokers.get(record.fields.brokerId) === record;
      case "TopicRecord":
        return this.topics.get(record.fields.topicUUID) === record;
      case "PartitionRecord":
        return this.partition(record.fields.topicUUID, record.fields.partitionId) === record;
      case "ProducerIdsRecord":
        return this.producers.get(record.fields.producerId) === record;
      default:
        return false;
    }
  }

  producerCount(): number {
    return this.producers.size;
  }

  allProducers(): ProducerIdsRecord[] {
    return [...this.producers.values()].sort((a, b) => a.fields.producerId - b.fields.producerId);
  }

  /** The id auto-allocation gives next: the lowest unused id at or past the counter. */
  nextProducerId(): number {
    return this.producerCounter;
  }

  /** Everything, in a stable order (so equal images encode to equal bytes). */
  body(): MetadataSnapshotBody {
    return {
      brokers: this.allBrokers(),
      topics: this.allTopics(),
      partitions: this.allTopics().flatMap((t) => this.partitionsOf(t.fields.topicUUID)),
      producers: this.allProducers(),
    };
  }

  /**
   * A frozen view for a snapshot: the brokers (at most MAX_BROKERS) are copied, the big maps are
   * frozen shard lists (sharded-map.ts); no record is copied or sorted here.
   */
  capture(): ImageCapture {
    this.captureEpoch++;
    return {
      brokers: new Map(this.brokers),
      topics: this.topics.freeze(),
      partitions: this.partitions.freeze(),
      producers: this.producers.freeze(),
      nextProducerId: this.producerCounter,
    };
  }

  // ---- changes -------------------------------------------------------------------------------

  /**
   * Applies records the planner produced; they are valid against this image by construction. A
   * run of one topic's partitions (a create's 100) goes in at once, as a snapshot's does. Each
   * record the image held and lets go of (replaced, or its topic removed) is told to `replaced`.
   */
  commit(records: readonly MetadataRecord[], replaced: Replaced = ignoreReplaced): void {
    let i = 0;
    while (i < records.length) {
      const record = records[i];
      if (record.name === "PartitionRecord") i = this.addPartitionRun(records as readonly PartitionRecord[], i, partitionRunEnd(records, i), replaced);
      else {
        this.commitOne(record, replaced);
        i++;
      }
    }
  }

  /** Rebuilds an image from a snapshot body (already schema-checked by the codec). */
  static fromBody(body: MetadataSnapshotBody, producerCounter: number): MetadataImage {
    const load = MetadataImage.loader();
    for (const b of body.brokers) load.broker(b);
    for (const t of body.topics) load.topic(t);
    load.partitions(body.partitions);
    for (const p of body.producers) load.producer(p);
    return load.finish(producerCounter);
  }

  /**
   * Fills a new image from a snapshot's records (already checked by the decoder), piece by piece:
   * fromBody in one go, the sliced binary decoder a run at a time. The image is only handed out by
   * finish(), so nobody sees it half loaded.
   */
  static loader(lender: MetadataImage | null = null): ImageLoader {
    const image = new MetadataImage();
    // Brokers numbered as the lender numbers them in its ISR index, so its arrays can be adopted.
    if (lender !== null) image.isr.numberLike(lender.isr);
    let finished = false;
    const open = () => {
      if (finished) throw new Error("an image loader was used after finish()");
      return image;
    };
    return {
      broker: (b) => void open().brokers.set(b.fields.brokerId, freezeRecord(b)),
      topic: (t) => open().commitOne(freezeRecord(t)),
      partitions: (records) => open().loadPartitions(records),
      records: imageSource(image),
      adopt: (topicUUID) => {
        invariant(lender !== null, () => `topic ${topicUUID}'s partitions adopted by a loader with no image to adopt from`);
        open().adoptPartitions(topicUUID, lender);
      },
      producer: (p) => open().commitOne(freezeRecord(p)),
      finish: (producerCounter) => {
        open().producerCounter = producerCounter;
        image.advanceProducerCounter();
        finished = true;
        return image;
      },
    };
  }

  /** commit() of a snapshot's partitions, a run of one topic's at a time (records checked, not yet frozen). */
  private loadPartitions(records: readonly PartitionRecord[]): void {
    for (const record of records) freezeRecord(record);
    let start = 0;
    while (start < records.length) start = this.addPartitionRun(records, start, partitionRunEnd(records, start), ignoreReplaced);
  }

  /**
   * A topic's partitions as `from` holds them, its table and ISR memberships shared rather than
   * built again: a follower installing its leader's snapshot has both images alive until the new
   * one replaces the old, and at 1M partitions the tables and index of the new one were ~40 MiB of
   * that peak, and the old one's the garbage it left (issue 10). Neither image changes a shared
   * table in place: the new one's slot is of no epoch of its own, and `from` moves to a new epoch
   * as a capture makes it, so each copies the table before its next change.
   */
  private adoptPartitions(topicUUID: string, from: MetadataImage): void {
    const slot = from.partitions.get(topicUUID);
    invariant(slot !== undefined && this.topics.has(topicUUID) && !this.partitions.has(topicUUID), () =>
      `topic ${topicUUID}'s partitions adopted: the lender holds ${slot === undefined ? "none" : "them"}, this image ${this.partitions.has(topicUUID) ? "holds some already" : "no such topic"}`);
    from.captureEpoch++;
    this.partitions.set(topicUUID, { epoch: SHARED_EPOCH, byId: slot.byId });
    slot.byId.forEach((record) => this.countLeader(topicUUID, record.fields.leader, 1));
    this.partitionTotal += slot.byId.size;
    this.isr.adoptTopic(topicUUID, from.isr);
  }

  /**
   * records[start, end): partitions of one topic, frozen. New ones go into the topic's map and the
   * ISR index in one go (a 1M-partition restore spent most of its time committing records one by
   * one, and so did a create of 100); one held already (a change) is committed the ordinary way,
   * after the new ones before it are indexed. Returns end.
   */
  private addPartitionRun(records: readonly PartitionRecord[], start: number, end: number, replaced: Replaced): number {
    const topicUUID = records[start].fields.topicUUID;
    const byId = this.writablePartitions(topicUUID);
    let added: PartitionRecord[] = [];
    const index = () => {
      this.partitionTotal += added.length;
      this.isr.addPartitions(topicUUID, added);
      added = [];
    };
    for (let i = start; i < end; i++) {
      const record = records[i];
      invariant(record.fields.topicUUID === topicUUID, () => `a run of ${topicUUID}'s partitions holds one of ${record.fields.topicUUID}`);
      if (byId.has(record.fields.partitionId)) {
        index();
        this.commitOne(record, replaced);
        continue;
      }
      byId.set(record.fields.partitionId, record);
      this.countLeader(topicUUID, record.fields.leader, 1);
      added.push(record);
    }
    index();
    return end;
  }

  private commitOne(record: MetadataRecord, replaced: Replaced = ignoreReplaced): void {
    switch (record.name) {
      case "RegisterBrokerRecord": {
        const before = this.brokers.get(record.fields.brokerId);
        this.brokers.set(record.fields.brokerId, record);
        if (before !== undefined) replaced(before);
        return;
      }
      case "RegistrationChangeBrokerRecord": {
        const current = this.brokers.get(record.fields.brokerId);
        if (!current) throw new Error(`change of unknown broker ${record.fields.brokerId} reached commit`);
        this.brokers.set(record.fields.brokerId, changedBroker(current, record));
        replaced(current);
        return;
      }
      case "TopicRecord": {
        const before = this.topics.get(record.fields.topicUUID);
        this.topics.set(record.fields.topicUUID, record);
        this.topicIdByName.set(record.fields.name, record.fields.topicUUID);
        this.nameByCollisionKey.set(collisionKey(record.fields.name), record.fields.name);
        if (before !== undefined) replaced(before);
        return;
      }
      case "PartitionRecord": {
        const byId = this.writablePartitions(record.fields.topicUUID);
        const before = byId.get(record.fields.partitionId);
        if (!before) this.partitionTotal++;
        byId.set(record.fields.partitionId, record);
        this.countLeader(record.fields.topicUUID, before?.fields.leader, -1);
        this.countLeader(record.fields.topicUUID, record.fields.leader, 1);
        this.isr.update(record.fields.topicUUID, record.fields.partitionId, before?.fields.ISR ?? [], record.fields.ISR);
        if (before !== undefined) replaced(before);
        return;
      }
      case "ProducerIdsRecord": {
        const before = this.producers.get(record.fields.producerId);
        this.producers.set(record.fields.producerId, record);
        this.advanceProducerCounter();
        if (before !== undefined) replaced(before);
        return;
      }
      case "RemoveTopicRecord":
        this.removeTopic(record, replaced);
        return;
      default:
        unhandled(record, "record");
    }
  }

  /** The topic, its names and its partitions go; the name may be created again (new UUID). */
  private removeTopic(record: RemoveTopicRecord, replaced: Replaced): void {
    const { topicUUID, name } = record.fields;
    const topic = this.topics.get(topicUUID);
    if (!topic || topic.fields.name !== name) throw new Error(`removal of unknown topic ${name} (${topicUUID}) reached commit`);
    this.topics.delete(topicUUID);
    this.topicIdByName.delete(name);
    this.nameByCollisionKey.delete(collisionKey(name));
    const byId = this.partitions.get(topicUUID)?.byId ?? new PartitionTable();
    this.partitionTotal -= byId.size;
    for (const p of byId.values()) {
      this.countLeader(topicUUID, p.fields.leader, -1);
      replaced(p);
    }
    // The slot is dropped, never changed: a capture that still holds it keeps its partitions.
    this.partitions.delete(topicUUID);
    this.isr.dropTopic(topicUUID);
    replaced(topic);
  }

  /** Counts a partition of `topicUUID` led by `leader` in (1) or out (-1); "-1" counts as leaderless. */
  private countLeader(topicUUID: string, leader: string | undefined, delta: 1 | -1): void {
    if (leader === undefined) return;
    if (leader === NO_LEADER) {
      this.countLeaderless(topicUUID, delta);
      return;
    }
    const id = Number(leader);
    const count = (this.leaderCounts.get(id) ?? 0) + delta;
    if (count === 0) this.leaderCounts.delete(id);
    else this.leaderCounts.set(id, count);
  }

  private countLeaderless(topicUUID: string, delta: 1 | -1): void {
    const count = (this.leaderlessByTopic.get(topicUUID) ?? 0) + delta;
    invariant(count >= 0, () => `topic ${topicUUID} would have ${count} leaderless partitions`);
    if (count === 0) this.leaderlessByTopic.delete(topicUUID);
    else this.leaderlessByTopic.set(topicUUID, count);
    this.leaderlessTotal += delta;
    invariant(this.leaderlessTotal >= 0, () => `the image would have ${this.leaderlessTotal} leaderless partitions`);
  }

  /** The topic's partition map, copied first when a capture may still hold it. */
  private writablePartitions(topicUUID: string): PartitionTable {
    const slot = this.partitions.get(topicUUID);
    if (slot !== undefined && slot.epoch === this.captureEpoch) return slot.byId;
    const byId = new PartitionTable(slot?.byId);
    this.partitions.set(topicUUID, { epoch: this.captureEpoch, byId });
    return byId;
  }

  private advanceProducerCounter(): void {
    while (this.producers.has(this.producerCounter)) this.producerCounter++;
  }
}

/** The end of the run of PartitionRecords of one topic that starts at `start`. */
function partitionRunEnd(records: readonly MetadataRecord[], start: number): number {
  const first = records[start];
  invariant(first.name === "PartitionRecord", () => `a partition run starts at a ${first.name}`);
  const topicUUID = first.fields.topicUUID;
  let end = start + 1;
  while (end < records.length) {
    const r = records[end];
    if (r.name !== "PartitionRecord" || r.fields.topicUUID !== topicUUID) break;
    end++;
  }
  return end;
}

/** Code-unit order, the same on every platform (localeCompare is not). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The broker's view after a change: written out key by key in the record's order rather than
 * spread from the current view (copying by spread was most of the cost of committing a change).
 */
function changedBroker(current: BrokerView, change: RegistrationChangeBrokerRecord): BrokerView {
  const was = current.fields;
  const now = change.fields;
  return freezeRecord({
    type: current.type,
    name: current.name,
    offset: change.offset,
    timestamp: change.timestamp,
    fields: {
      internalUUID: was.internalUUID,
      brokerId: was.brokerId,
      brokerHost: now.brokerHost,
      brokerPort: now.brokerPort,
      securityProtocol: now.securityProtocol,
      brokerStatus: now.brokerStatus,
      rackId: was.rackId,
      epoch: now.epoch,
    },
  });
}
