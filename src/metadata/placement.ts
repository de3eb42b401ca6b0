// Rack-aware striped replica placement, after Kafka's rack-aware assignment: brokers are laid out
// alternating racks (a1 b1 c1 a2 b2 …); partition p's first replica (its leader) walks that list
// from a start offset, and each further replica is the next broker, at a shift that grows every
// full round, whose rack holds no replica of p yet (once every rack has one, any unused broker).
// The start offset and shift come from a hash of the topic's UUID, never from Math.random, so
// every replica computes the same placement from the same image.

export interface PlacementBroker {
  brokerId: number;
  rackId: string;
}

export interface PlacedPartition {
  partitionId: number;
  replicas: number[];
}

export class PlacementError extends Error {
  readonly code = "invalid";
}

/** FNV-1a, 32 bits: a stable seed from the topic's UUID. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Brokers ordered so consecutive entries alternate racks (racks and ids sorted first). */
export function rackAlternatedList(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.brokerId - y.brokerId)) {
    const list = byRack.get(b.rackId) ?? [];
    list.push(b);
    byRack.set(b.rackId, list);
  }
  const racks = [...byRack.keys()].sort().map((r) => byRack.get(r) ?? []);
  const out: PlacementBroker[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const rack of racks) if (round < rack.length) out.push(rack[round]);
  }
  return out;
}

/**
 * Places `partitions` partitions with ids from `firstId` on. Partition p's placement depends only on
 * p, the brokers and the topic, so partitions added later (Kafka's CreatePartitions) continue the
 * same striping the topic was created with.
 */
export function placePartitions(
  brokers: readonly PlacementBroker[],
  partitions: number,
  replicationFactor: number,
  topicUUID: string,
  firstId = 0,
): PlacedPartition[] {
  if (replicationFactor < 1) throw new PlacementError(`replicationFactor must be at least 1, got ${replicationFactor}`);
  if (replicationFactor > brokers.length) {
    throw new PlacementError(`replicationFactor ${replicationFactor} exceeds the ${brokers.length} active brokers`);
  }
  const list = rackAlternatedList(brokers);
  const n = list.length;
  const racks = new Set(list.map((b) => b.rackId)).size;
  const seed = seedOf(topicUUID);
  const start = seed % n;
  const baseShift = Math.floor(seed / n) % n;
  const placed: PlacedPartition[] = [];
  for (let p = firstId; p < firstId + partitions; p++) {
    // The shift grows by one every full round of brokers, so followers of later rounds differ.
    const shift = baseShift + Math.floor(p / n);
    const first = (p + start) % n;
    placed.push({ partitionId: p, replicas: replicasFor(list, racks, first, shift, replicationFactor) });
  }
  return placed;
}

function replicasFor(list: PlacementBroker[], racks: number, first: number, shift: number, rf: number): number[] {
  const n = list.length;
  const chosen = [list[first]];
  const usedRacks = new Set([list[first].rackId]);
  const usedIds = new Set([list[first].brokerId]);
  // Each step visits a different one of the n-1 other brokers within n-1 tries, and one of them is
  // always acceptable, so this bound is never reached unless the invariant is broken.
  const maxTries = rf * n;
  for (let k = 0; chosen.length < rf; k++) {
    if (k >= maxTries) throw new Error(`placement found no broker for replica ${chosen.length} after ${k} tries`);
    const candidate = list[(first + 1 + ((shift + k) % (n - 1))) % n];
    const rackOk = !usedRacks.has(candidate.rackId) || usedRacks.size === racks;
    if (rackOk && !usedIds.has(candidate.brokerId)) {
      chosen.push(candidate);
      usedRacks.add(candidate.rackId);
      usedIds.add(candidate.brokerId);
    }
  }
  return chosen.map((b) => b.brokerId);
}
