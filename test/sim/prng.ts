// Seeded pseudo-random source for the simulator: xoshiro128** seeded through splitmix32, so that
// every decision of a run follows from one integer seed and the same seed replays the same run.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    // Fold the high bits in too so seeds above 2^32 do not collide with small ones.
    const st = { s: (seed >>> 0) ^ Math.floor(seed / 0x100000000) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi)) {
      throw new RangeError(`int(lo, hi) needs integers lo <= hi, got ${lo}, ${hi}`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick() from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** An independent generator derived from this one (per node, per subsystem). */
  fork(): Prng {
    return new Prng(this.nextU32() * 0x10000 + (this.nextU32() & 0xffff));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
