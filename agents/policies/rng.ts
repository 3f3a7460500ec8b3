/**
 * Seeded uniform RNG for sampling (reproducible with one worker). mulberry32: 32-bit state, fast,
 * good enough for drawing actions; not for cryptography.
 */
export type Rng = () => number;

/** A uniform [0, 1) generator from a 32-bit seed. */
export function makeRng(seed: number): Rng {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box–Muller (used for weight initialisation). */
export function normal(rng: Rng): number {
  let u = rng();
  while (u <= 1e-12) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
