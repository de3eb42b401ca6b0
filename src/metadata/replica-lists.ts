// Interned replica-id lists. A partition record holds four lists (replicas, ISR, adding, removing);
// at 1M partitions that was 4M arrays, and JSC turns a frozen array into a sparse one with a hash
// map of its own (measured: ~1 GiB of heap at 1M partitions, most of it these). Lists repeat a
// lot (30 brokers at RF 3 have at most 24,360 ordered triples; adding/removing are nearly always
// empty), so each distinct list is held once, frozen, and records share it. Sharing is safe only
// because the lists are frozen; nothing may depend on identity (an equal list from elsewhere is
// just as good), which is what lets the pool forget everything when it grows past its bound.

/** Distinct lists kept before the pool starts over: a bound on what adversarial inputs can pin. */
const MAX_POOLED_LISTS = 200_000;
/** Longer lists are rare and cost more to key than they save: they are frozen as they are. */
const MAX_POOLED_LENGTH = 16;

/** The shared empty list (what internReplicas([]) returns). */
export const EMPTY: readonly number[] = Object.freeze([]);
let pool = new Map<string, readonly number[]>();
/** Every frozen list this module returned (weakly: a list no record holds any more goes). */
const handedOut = new WeakSet<readonly number[]>([EMPTY]);

/** A frozen list equal to `ids`, shared with every other record that holds an equal one. */
export function internReplicas(ids: readonly number[]): readonly number[] {
  if (ids.length === 0) return EMPTY;
  // A list handed out before is already shared (another record's, or one a snapshot decoder
  // pooled). Asked of a WeakSet, not Object.isFrozen: that costs ~0.5 µs on a frozen array.
  if (handedOut.has(ids)) return ids;
  if (ids.length > MAX_POOLED_LENGTH) return handOut(Object.freeze(ids));
  const key = ids.length === 1 ? String(ids[0]) : ids.join(",");
  const held = pool.get(key);
  if (held !== undefined) return held;
  if (pool.size >= MAX_POOLED_LISTS) pool = new Map();
  const list = handOut(Object.freeze([...ids]));
  pool.set(key, list);
  return list;
}

function handOut(list: readonly number[]): readonly number[] {
  handedOut.add(list);
  return list;
}
