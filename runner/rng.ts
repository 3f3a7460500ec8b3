/**
 * The runner's seeded randomness: a serialisable mulberry32 stream (for sampling in actors) and a hash
 * that derives independent seeds from (master seed, purpose, index) so that every env seed and sampling
 * stream is a pure function of the config seed — the basis of reproducible runs.
 */
import { mulberry32Next } from '../envs/index.ts';

/** A uniform [0, 1) generator (envs' mulberry32) with a 32-bit state that can be saved and restored. */
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
