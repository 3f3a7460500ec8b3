/**
 * 95% percentile-bootstrap confidence intervals (Efron & Tibshirani, 1993, "An Introduction to the
 * Bootstrap", ch. 13) for the experiment reports, seeded (envs' Rng) so a report is reproducible.
 *
 *   bootstrapMean(values)         resample the values with replacement, B times; CI of the mean.
 *   bootstrapNested(groups)       two-level (hierarchical) resampling: resample the groups (seeds),
 *                                 then the items (problems) inside each drawn group; CI of the grand
 *                                 mean. This is the "over seeds and over problems" interval of the
 *                                 experiment protocol: it widens with seed-to-seed spread and with the
 *                                 finite number of held-out problems.
 *   bootstrapDiff(a, b)           the same for the difference of two arms' grand means (independent
 *                                 resampling of each arm), for "A − B" statements.
 */
import { Rng } from '../../envs/index.ts';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

const B_DEFAULT = 2000;

function percentile(sorted: Float64Array, q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

function interval(mean: number, draws: Float64Array): Interval {
  draws.sort();
  return { mean, lo: percentile(draws, 0.025), hi: percentile(draws, 0.975) };
}

const avg = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/** One nested resample's grand mean. */
function nestedDraw(groups: readonly (readonly number[])[], rng: Rng): number {
  let s = 0;
  for (let g = 0; g < groups.length; g++) {
    const items = groups[rng.int(groups.length)]!;
    let t = 0;
    for (let i = 0; i < items.length; i++) t += items[rng.int(items.length)]!;
    s += t / items.length;
  }
  return s / groups.length;
}

function checkGroups(groups: readonly (readonly number[])[], what: string): void {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new Error(`${what}: needs at least one group and no empty group`);
}

export function bootstrapMean(values: readonly number[], opts: { B?: number; seed?: number } = {}): Interval {
  checkGroups([values], 'bootstrapMean');
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[rng.int(values.length)]!;
    draws[b] = s / values.length;
  }
  return interval(avg(values), draws);
}

/** groups[g][i]: item i (a problem's score) of group g (a seed). The point estimate is the mean of group means. */
export function bootstrapNested(groups: readonly (readonly number[])[], opts: { B?: number; seed?: number } = {}): Interval {
  checkGroups(groups, 'bootstrapNested');
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let b = 0; b < B; b++) draws[b] = nestedDraw(groups, rng);
  return interval(avg(groups.map(avg)), draws);
}

/** CI of mean(a) − mean(b), each a nested (seeds × problems) sample, resampled independently. */
export function bootstrapDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[], opts: { B?: number; seed?: number } = {}): Interval {
  checkGroups(a, 'bootstrapDiff (a)');
  checkGroups(b, 'bootstrapDiff (b)');
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let k = 0; k < B; k++) draws[k] = nestedDraw(a, rng) - nestedDraw(b, rng);
  return interval(avg(a.map(avg)) - avg(b.map(avg)), draws);
}
