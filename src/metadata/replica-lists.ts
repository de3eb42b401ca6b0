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
/** Frozen lists by key; it starts over past MAX_POOLED_LISTS (nothing depends on identity). */
class ListPool<K> {
  private lists = new Map<K, readonly number[]>();

  /** The list held under `key`, or a frozen copy of `ids` from now on. */
  intern(key: K, ids: readonly number[]): readonly number[] {
    const held = this.lists.get(key);
    if (held !== undefined) return held;
    if (this.lists.size >= MAX_POOLED_LISTS) this.lists = new Map();
    const list = handOut(Object.freeze([...ids]));
    this.lists.set(key, list);
    return list;
  }
}

const pool = new ListPool<string>();
/**
 * Lists of at most SMALL_LENGTH ids below 2^SMALL_BITS, by a small integer packing them (what
 * nearly every partition holds: RF 3 over broker ids in the hundreds). An int32 key spares the
 * join and the string hashing of the general pool: ~20 ns a look-up against ~170.
 */
const small = new ListPool<number>();
const SMALL_LENGTH = 3;
const SMALL_BITS = 9;
const SMALL_ID = 2 ** SMALL_BITS;
/** Every frozen list this module returned (weakly: a list no record holds any more goes). */
const handedOut = new WeakSet<readonly number[]>([EMPTY]);

/** A frozen list equal to `ids`, shared with every other record that holds an equal one. */
export function internReplicas(ids: readonly number[]): readonly number[] {
  if (ids.length === 0) return EMPTY;
  // A list handed out before is already shared (another record's, or one a snapshot decoder
  // pooled). Asked of a WeakSet, not Object.isFrozen: that costs ~0.5 µs on a frozen array.
  if (handedOut.has(ids)) return ids;
  if (ids.length > MAX_POOLED_LENGTH) return handOut(Object.freeze(ids));
  const packed = smallKey(ids);
  return packed >= 0 ? small.intern(packed, ids) : pool.intern(ids.join(","), ids);
}

/**
 * The list's length and ids in one int32 (length << 27, each id in 9 bits), or -1 when it is
 * longer than SMALL_LENGTH or holds an id outside [0, SMALL_ID). Distinct lists, distinct keys.
 */
function smallKey(ids: readonly number[]): number {
  if (ids.length > SMALL_LENGTH) return -1;
  let key = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < SMALL_ID)) return -1;
    key = (key << SMALL_BITS) | id;
  }
  return (ids.length << (SMALL_LENGTH * SMALL_BITS)) | key;
}

function handOut(list: readonly number[]): readonly number[] {
  handedOut.add(list);
  return list;
}

/** Equal lists, by content: an interned list and an equal one from elsewhere (or from a pool since started over) are the same list. */
export function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
