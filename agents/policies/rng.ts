/**
 * Seeded uniform RNG for sampling (reproducible with one worker). mulberry32: 32-bit state, fast,
 * good enough for drawing actions; not for cryptography.
 */
import { mulberry32 } from '../../core/rng.ts';

export type Rng = () => number;

/** A uniform [0, 1) generator from a 32-bit seed (envs' mulberry32, its seed spread by the golden ratio). */
export function makeRng(seed: number): Rng {
  return mulberry32((seed >>> 0) ^ 0x9e3779b9);
}

/** Standard normal via Box–Muller (used for weight initialisation). */
export function normal(rng: Rng): number {
  let u = rng();
  while (u <= 1e-12) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
