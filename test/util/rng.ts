// Seeded PRNG for reproducible kernel tests (mulberry32: 32-bit state, good enough for test data).

export class Rng {
  readonly seed: number;
  private s: number;
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.s = this.seed;
  }
  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Fills `a` with uniform values in [lo, hi) (rounded to the array's element type) and returns it. */
  fill<A extends Float32Array | Float64Array | Uint8Array | Int32Array>(a: A, lo: number, hi: number): A {
    const integer = !(a instanceof Float32Array || a instanceof Float64Array);
    for (let i = 0; i < a.length; i++) a[i] = integer ? this.int(lo, hi) : this.uniform(lo, hi);
    return a;
  }
}

export function rng(seed: number): Rng {
  return new Rng(seed);
}

/** Functional form for callers that want a bare `() => number` in [0, 1). */
export function makeRng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}
