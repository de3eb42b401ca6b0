// Which partitions each broker is an ISR member of: the controller's way to find, without a scan of
// every partition, what a broker's fencing, unregistration, controlled shutdown or return affects
// (the leader is always in the ISR or "-1", so the partitions a broker leads are among these).
// Kept by the image on every commit. Per topic, one array of numbers, one per ISR membership:
// slot × 2^31 + partitionId, where a broker's slot is a small number given the first time the
// index meets it. It used to be broker -> topic -> partition ids, a Map of 10,000 topics for each
// of 30 brokers and an array per pair of them: ~60 MiB at 1M partitions, where one number per
// membership takes a third of that. A broker's partitions are the numbers in its slot's range, so
// finding them reads every membership (3M numbers at 1M partitions, two compares each); the
// partitions' own ISR lists are not read for it, because JSC reads frozen arrays on a slow path.
// A follower installing its leader's snapshot builds a new image beside its own; a topic whose
// partitions did not change takes the old index's array as it is (adoptTopic) rather than a new
// one, so both indexes hold it, and neither changes it in place after that (copied first).
import { invariant } from "./invariant.ts";
import { MAX_PARTITION_ID } from "./limits.ts";

/** One partition, by topic UUID and partition id: what controller commands name. */
export interface PartitionRef {
  topicUUID: string;
  partitionId: number;
}

/** Each slot's range of packed numbers: above every partition id. */
const SLOT_SPAN = MAX_PARTITION_ID + 1;
/** Slots that keep slot × SLOT_SPAN + id an exact integer (broker ids are not reused, and far fewer). */
const MAX_SLOTS = Math.floor(Number.MAX_SAFE_INTEGER / SLOT_SPAN);

/** Membership arrays two indexes may hold (adoptTopic): whichever changes one copies it first. */
const sharedMemberships = new WeakSet<number[]>();

export class IsrIndex {
  /** topic UUID -> packed memberships, in the order they came. */
  private readonly byTopic = new Map<string, number[]>();
  private readonly slotOf = new Map<number, number>();
  /** slot -> broker id. */
  private readonly brokerOf: number[] = [];
  /** slot -> memberships held, for brokers(). */
  private readonly held: number[] = [];

  /** Records that `isr` replaced `before` (either may be empty) for one partition. */
  update(topicUUID: string, partitionId: number, before: readonly number[], isr: readonly number[]): void {
    for (const id of before) if (!isr.includes(id)) this.remove(topicUUID, id, partitionId);
    // Only new members are added: the index mirrors `before` already, so a push never duplicates.
    for (const id of isr) if (!before.includes(id)) this.add(this.membershipsOf(topicUUID), id, partitionId);
  }

  /** Records new partitions of one topic (none of them indexed yet). */
  addPartitions(topicUUID: string, partitions: readonly { fields: { partitionId: number; ISR: readonly number[] } }[]): void {
    if (partitions.length === 0) return;
    const memberships = this.membershipsOf(topicUUID);
    // Indexed reads: a for-of over a frozen (interned) list costs several times as much in JSC.
    for (let p = 0; p < partitions.length; p++) {
      const { ISR, partitionId } = partitions[p].fields;
      for (let i = 0; i < ISR.length; i++) this.add(memberships, ISR[i], partitionId);
    }
  }

  /**
   * Numbers brokers as `other` does, so this index can adopt its arrays (a packed number names a
   * broker by slot). Only on an empty index: slots are never renumbered.
   */
  numberLike(other: IsrIndex): void {
    invariant(this.brokerOf.length === 0 && this.byTopic.size === 0, () => `ISR index: renumbering an index that holds ${this.brokerOf.length} brokers`);
    other.brokerOf.forEach((brokerId, slot) => {
      this.slotOf.set(brokerId, slot);
      this.brokerOf.push(brokerId);
      this.held.push(0);
    });
  }

  /**
   * Takes `from`'s memberships of a topic this index does not hold yet, the array itself, shared:
   * from here on either index copies it before a change. The two must number brokers alike
   * (numberLike) for every slot the array can name.
   */
  adoptTopic(topicUUID: string, from: IsrIndex): void {
    invariant(!this.byTopic.has(topicUUID), () => `ISR index: topic ${topicUUID} adopted while held`);
    const memberships = from.byTopic.get(topicUUID);
    if (memberships === undefined) return;
    invariant(from.brokerOf.every((brokerId, slot) => this.brokerOf[slot] === brokerId), () => `ISR index: topic ${topicUUID} adopted from an index that numbers brokers otherwise`);
    sharedMemberships.add(memberships);
    this.byTopic.set(topicUUID, memberships);
    for (let i = 0; i < memberships.length; i++) this.held[Math.floor(memberships[i] / SLOT_SPAN)]++;
  }

  /** Forgets every partition of a deleted topic. */
  dropTopic(topicUUID: string): void {
    for (const packed of this.byTopic.get(topicUUID) ?? []) this.held[Math.floor(packed / SLOT_SPAN)]--;
    this.byTopic.delete(topicUUID);
  }

  /** Partitions whose ISR holds `brokerId`: topics in the order the index met them, then membership order. */
  partitionsOf(brokerId: number): PartitionRef[] {
    const out: PartitionRef[] = [];
    for (const run of this.partitionRuns(brokerId)) for (const ref of run) out.push(ref);
    return out;
  }

  /**
   * partitionsOf(), a topic's at a time: one run per topic the index holds, empty when the broker is
   * in none of its ISRs, so a caller that stops between runs stops after reading one topic's
   * memberships, however few partitions it found (the whole scan reads every membership: 3M at 1M
   * partitions). Each run is read when it is reached, in one go: the index may change between runs
   * (a topic not reached yet is read as it is then; one dropped meanwhile is not reached).
   */
  *partitionRuns(brokerId: number): Generator<PartitionRef[]> {
    const slot = this.slotOf.get(brokerId);
    if (slot === undefined || this.held[slot] === 0) return;
    const low = slot * SLOT_SPAN;
    const high = low + SLOT_SPAN;
    for (const [topicUUID, memberships] of this.byTopic) {
      const run: PartitionRef[] = [];
      for (let i = 0; i < memberships.length; i++) {
        const packed = memberships[i];
        if (packed >= low && packed < high) run.push({ topicUUID, partitionId: packed - low });
      }
      yield run;
    }
  }

  /** Brokers that are in at least one ISR, ascending. */
  brokers(): number[] {
    return this.brokerOf.filter((_, slot) => this.held[slot] > 0).sort((a, b) => a - b);
  }

  /** The topic's array to change: a new one, or a copy of one another index may hold too. */
  private membershipsOf(topicUUID: string): number[] {
    let memberships = this.byTopic.get(topicUUID);
    if (memberships === undefined || sharedMemberships.has(memberships)) {
      memberships = memberships === undefined ? [] : memberships.slice();
      this.byTopic.set(topicUUID, memberships);
    }
    return memberships;
  }

  private add(memberships: number[], brokerId: number, partitionId: number): void {
    let slot = this.slotOf.get(brokerId);
    if (slot === undefined) {
      slot = this.brokerOf.length;
      invariant(slot < MAX_SLOTS, () => `ISR index: more than ${MAX_SLOTS} brokers`);
      this.slotOf.set(brokerId, slot);
      this.brokerOf.push(brokerId);
      this.held.push(0);
    }
    memberships.push(slot * SLOT_SPAN + partitionId);
    this.held[slot]++;
  }

  private remove(topicUUID: string, brokerId: number, partitionId: number): void {
    const slot = this.slotOf.get(brokerId);
    const held = this.byTopic.get(topicUUID);
    if (slot === undefined || held === undefined) return;
    const at = held.indexOf(slot * SLOT_SPAN + partitionId);
    if (at < 0) return;
    // A copy of a shared array keeps its order: the membership is at the same place.
    const memberships = this.membershipsOf(topicUUID);
    memberships.splice(at, 1);
    this.held[slot]--;
    if (memberships.length === 0) this.byTopic.delete(topicUUID);
  }
}
