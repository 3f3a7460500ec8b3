/**
 * The runner's seeded randomness: a serialisable mulberry32 stream (for sampling in actors) and a hash
 * that derives independent seeds from (master seed, purpose, index) so that every env seed and sampling
 * stream is a pure function of the config seed — the basis of reproducible runs.
 */

/** A uniform [0, 1) generator with a 32-bit state that can be saved and restored. */
export class SeededRng {
  constructor(private s: number) {
    this.s = s >>> 0;
  }
  next = (): number => {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  state(): number {
    return this.s;
  }
  static fromState(s: number): SeededRng {
    return new SeededRng(s);
  }
}

/** A 31-bit seed derived from the master seed, a purpose tag and an index (murmur3-style mixing). */
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
