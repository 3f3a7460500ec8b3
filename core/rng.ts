/**
 * The project's one source of seeded randomness and of the FNV-1a hash, for every room:
 *  - `Rng`: sfc32 for env dynamics (below);
 *  - `mulberry32` / `mulberry32Next` / `SeededRng`: one-word-state streams for sampling (actors, learner
 *    minibatch shuffles, reward models), saved in checkpoints;
 *  - `hashString` / `hashBytes`: 32-bit FNV-1a (string seeds, splits, features, per-caption noise);
 *  - `deriveSeed(master, purpose, index)`: independent seeds from the config seed.
 *
 * Seeded, serialisable pseudo-random numbers: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, from PractRand), seeded through splitmix32. 128-bit state, period ≥ 2^32, passes
 * PractRand; fast in JS because it only uses 32-bit integer ops. No env may use Math.random.
 */
export type RngState = [number, number, number, number];

/** splitmix32 step: spreads a 32-bit seed into well-mixed words. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [x, (z ^ (z >>> 16)) >>> 0];
}

/** 32-bit FNV-1a of a string: for string seeds and split hashing. */
export function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 32-bit FNV-1a over bytes. */
export function hashBytes(bytes: ArrayLike<number>, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number | string = 0) {
    this.seed(seed);
  }

  /** Re-seed in place. Numbers are taken modulo 2^32 (fractions are rejected); strings are hashed. */
  seed(seed: number | string): this {
    let s: number;
    if (typeof seed === 'string') s = hashString(seed);
    else {
      if (!Number.isFinite(seed) || !Number.isInteger(seed)) throw new Error(`Rng seed must be an integer or a string, got ${String(seed)}`);
      // Fold high bits in so seeds beyond 2^32 still differ.
      s = (seed >>> 0) ^ Math.floor(seed / 4294967296);
    }
    let x = s | 0;
    let w: number;
    [x, w] = splitmix32(x); this.a = w;
    [x, w] = splitmix32(x); this.b = w;
    [x, w] = splitmix32(x); this.c = w;
    [x, w] = splitmix32(x); this.d = w;
    for (let i = 0; i < 12; i++) this.u32(); // warm up
    return this;
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const a = this.a, b = this.b, c = this.c, d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). Unbiased (rejection). */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296 || !Number.isInteger(n)) throw new Error(`Rng.int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.u32(); while (x >= limit);
    return x % n;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array');
    return items[this.int(items.length)];
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]; items[i] = items[j]; items[j] = t;
    }
    return items;
  }

  /** Serialisable state (4 unsigned 32-bit words). */
  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  setState(s: RngState): this {
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`Rng state must be 4 unsigned 32-bit integers, got ${JSON.stringify(s)}`);
    }
    this.a = s[0] | 0; this.b = s[1] | 0; this.c = s[2] | 0; this.d = s[3] | 0;
    return this;
  }

  static fromState(s: RngState): Rng {
    return new Rng(0).setState(s);
  }

  clone(): Rng {
    return Rng.fromState(this.state());
  }
}

/**
 * One step of mulberry32: a generator whose whole state is one uint32 (`state.s`), for sampling streams
 * that are saved in checkpoints (actors, learner minibatch shuffles, reward models). Env dynamics use
 * `Rng` (sfc32) above; this is the project's single copy of mulberry32.
 */
export function mulberry32Next(state: { s: number }): number {
  let t = (state.s = (state.s + 0x6d2b79f5) >>> 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A uniform [0, 1) mulberry32 stream whose initial state is `seed`. */
export function mulberry32(seed: number): () => number {
  const state = { s: seed >>> 0 };
  return () => mulberry32Next(state);
}

/** A uniform [0, 1) mulberry32 stream with a 32-bit state that can be saved and restored. */
export class SeededRng {
  private readonly st: { s: number };
  constructor(seed: number) {
    this.st = { s: seed >>> 0 };
  }
  next = (): number => mulberry32Next(this.st);
  state(): number {
    return this.st.s;
  }
  static fromState(s: number): SeededRng {
    return new SeededRng(s);
  }
}

/**
 * A 31-bit seed derived from the master seed, a purpose tag and an index (murmur3-style mixing), so every
 * env seed and sampling stream is a pure function of the config seed: the basis of reproducible runs.
 */
export function deriveSeed(master: number, purpose: string, index: number): number {
  let h = (master ^ 0x9e3779b9) >>> 0;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  };
  for (let i = 0; i < purpose.length; i++) mix(purpose.charCodeAt(i));
  mix(index | 0);
  mix(Math.floor(index / 2 ** 32));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & 0x7fffffff;
}
