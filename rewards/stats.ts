/**
 * Rank statistics for judging a judge: Spearman's rank correlation (ties get their average rank, so a
 * step-shaped progress signal such as a subgoal stage is handled) and a percentile bootstrap of a mean.
 */
import { mulberry32 } from '../envs/index.ts';

/** Ranks 1..n with ties sharing their average rank. */
export function averageRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length, order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's ρ: the Pearson correlation of the average ranks. NaN when either side is constant (or fewer
 * than 2 points): there is no order to agree with.
 */
export function spearman(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  if (xs.length !== ys.length) throw new Error(`spearman: ${xs.length} x values but ${ys.length} y values`);
  const n = xs.length;
  if (n < 2) return NaN;
  for (let i = 0; i < n; i++) if (!Number.isFinite(xs[i]!) || !Number.isFinite(ys[i]!)) throw new Error(`spearman: non-finite value at ${i}`);
  const rx = averageRanks(xs), ry = averageRanks(ys), m = (n + 1) / 2;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { const a = rx[i]! - m, b = ry[i]! - m; sxy += a * b; sxx += a * a; syy += b * b; }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

export interface MeanCI { mean: number; lo: number; hi: number; n: number }

/** Mean of `values` with a percentile bootstrap interval (resampling the values with replacement, seeded). */
export function bootstrapMean(values: readonly number[], { resamples = 2000, level = 0.95, seed = 1 } = {}): MeanCI {
  const n = values.length;
  if (!n) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const rand = mulberry32(seed), means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  const q = (p: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(p * resamples)))]!;
  return { mean, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2), n };
}
