// Which partitions each broker is an ISR member of: the controller's way to find, without a scan of
// every partition, what a broker's fencing, unregistration, controlled shutdown or return affects
// (the leader is always in the ISR or "-1", so the partitions a broker leads are among these).
// Kept by the image on every commit; broker id -> topic UUID -> partition ids. The ids are plain
// arrays in insertion order, not Sets: at 1M partitions there are ~300,000 of them (30 brokers ×
// 10,000 topics) and a Set costs several times an array of small integers; a removal scans one
// topic's ids of one broker, which a partition's own update already pays for.

/** One partition, by topic UUID and partition id: what controller commands name. */
export interface PartitionRef {
  topicUUID: string;
  partitionId: number;
}

export class IsrIndex {
  private readonly byBroker = new Map<number, Map<string, number[]>>();

  /** Records that `isr` replaced `before` (either may be empty) for one partition. */
  update(topicUUID: string, partitionId: number, before: readonly number[], isr: readonly number[]): void {
    for (const id of before) if (!isr.includes(id)) this.remove(id, topicUUID, partitionId);
    // Only new members are added: the index mirrors `before` already, so a push never duplicates.
    for (const id of isr) if (!before.includes(id)) this.add(id, topicUUID, partitionId);
  }

  /** Records new partitions of one topic (none of them indexed yet), a broker's ids added at once. */
  addPartitions(topicUUID: string, partitions: readonly { fields: { partitionId: number; ISR: readonly number[] } }[]): void {
    const byBroker = new Map<number, number[]>();
    for (const { fields } of partitions) {
      for (const brokerId of fields.ISR) {
        const ids = byBroker.get(brokerId);
        if (ids === undefined) byBroker.set(brokerId, [fields.partitionId]);
        else ids.push(fields.partitionId);
      }
    }
    for (const [brokerId, ids] of byBroker) {
      let topics = this.byBroker.get(brokerId);
      if (topics === undefined) {
        topics = new Map();
        this.byBroker.set(brokerId, topics);
      }
      const held = topics.get(topicUUID);
      if (held === undefined) topics.set(topicUUID, ids);
      else for (const id of ids) held.push(id);
    }
  }

  /** Forgets every partition of a deleted topic. */
  dropTopic(topicUUID: string): void {
    for (const [brokerId, topics] of this.byBroker) {
      topics.delete(topicUUID);
      if (topics.size === 0) this.byBroker.delete(brokerId);
    }
  }

  /** Partitions whose ISR holds `brokerId`, in topic-insertion then id order of this index. */
  partitionsOf(brokerId: number): PartitionRef[] {
    const out: PartitionRef[] = [];
    for (const [topicUUID, ids] of this.byBroker.get(brokerId) ?? []) {
      for (const partitionId of ids) out.push({ topicUUID, partitionId });
    }
    return out;
  }

  /** Brokers that are in at least one ISR. */
  brokers(): number[] {
    return [...this.byBroker.keys()].sort((a, b) => a - b);
  }

  private add(brokerId: number, topicUUID: string, partitionId: number): void {
    let topics = this.byBroker.get(brokerId);
    if (topics === undefined) {
      topics = new Map();
      this.byBroker.set(brokerId, topics);
    }
    let ids = topics.get(topicUUID);
    if (ids === undefined) {
      ids = [];
      topics.set(topicUUID, ids);
    }
    ids.push(partitionId);
  }

  private remove(brokerId: number, topicUUID: string, partitionId: number): void {
    const topics = this.byBroker.get(brokerId);
    const ids = topics?.get(topicUUID);
    if (topics === undefined || ids === undefined) return;
    const at = ids.indexOf(partitionId);
    if (at >= 0) ids.splice(at, 1);
    if (ids.length === 0) topics.delete(topicUUID);
    if (topics.size === 0) this.byBroker.delete(brokerId);
  }
}
