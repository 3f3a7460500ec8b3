/**
 * 95% bootstrap confidence intervals for the experiment reports (the experiment protocol: intervals over
 * seeds, and over problems for held-out metrics). A statistic is a mean over seeds of a mean over held-out
 * problems; the two-way bootstrap resamples seeds and problems independently (the problems are shared by
 * every seed and arm, so one problem resample is used for all of them in a replicate), percentile interval.
 * Deterministic: the resampling stream is envs' mulberry32 with a fixed seed.
 */
import { mulberry32 } from '../../envs/index.ts';

export interface Interval { mean: number; lo: number; hi: number }

/** Replicates of the seed × problem mean: values[s][p]; `problemIdx` / `seedIdx` are shared resamples. */
function replicate(values: number[][], seedIdx: number[], problemIdx: number[]): number {
  let s = 0;
  for (const i of seedIdx) {
    const row = values[i]!;
    let t = 0;
    for (const p of problemIdx) t += row[p]!;
    s += t / problemIdx.length;
  }
  return s / seedIdx.length;
}

function percentile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

function draws(next: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(next() * n));
}

/**
 * Mean and 95% interval of mean_s mean_p values[s][p] (values: one row per seed, one column per problem).
 * With one seed only problems are resampled; with one problem column only seeds.
 */
export function bootstrapMean(values: number[][], iters = 2000, seed = 12345): Interval {
  const S = values.length, P = values[0]?.length ?? 0;
  if (S === 0 || P === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const mean = replicate(values, all(S), all(P));
  const next = mulberry32(seed);
  const reps: number[] = [];
  for (let r = 0; r < iters; r++) reps.push(replicate(values, S > 1 ? draws(next, S) : [0], P > 1 ? draws(next, P) : [0]));
  reps.sort((a, b) => a - b);
  return { mean, lo: percentile(reps, 0.025), hi: percentile(reps, 0.975) };
}

/**
 * Mean and 95% interval of (arm a − arm b), both seed × problem tables over the same problems: seeds are
 * resampled within each arm, problems once per replicate for both (the problems are paired).
 */
export function bootstrapDifference(a: number[][], b: number[][], iters = 2000, seed = 54321): Interval {
  const P = a[0]?.length ?? 0;
  if (a.length === 0 || b.length === 0 || P === 0 || (b[0]?.length ?? 0) !== P) return { mean: NaN, lo: NaN, hi: NaN };
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const mean = replicate(a, all(a.length), all(P)) - replicate(b, all(b.length), all(P));
  const next = mulberry32(seed);
  const reps: number[] = [];
  for (let r = 0; r < iters; r++) {
    const probs = P > 1 ? draws(next, P) : [0];
    reps.push(replicate(a, a.length > 1 ? draws(next, a.length) : [0], probs) - replicate(b, b.length > 1 ? draws(next, b.length) : [0], probs));
  }
  reps.sort((x, y) => x - y);
  return { mean, lo: percentile(reps, 0.025), hi: percentile(reps, 0.975) };
}
