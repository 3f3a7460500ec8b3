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
 *   bootstrapCrossed(values)      two-way (crossed) resampling of a seeds × problems table whose problems
 *                                 are the same for every seed: seeds and problems are resampled
 *                                 independently and one problem resample serves every seed of a replicate.
 *   bootstrapPairedDiff(a, b)     the crossed interval of (arm a − arm b) over the same problems: seeds
 *                                 resampled within each arm, problems once per replicate for both (paired).
 *
 * With one seed (one row) the crossed forms resample only problems; with one problem column only seeds.
 */
import { Rng } from '../../envs/index.ts';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Bootstrap replicates. Default 2000. */
  B?: number;
  /** Seed of the resampling stream. Default 1. */
  seed?: number;
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

/** A seeds × problems table: at least one row, every row the same non-zero length. Returns that length. */
function checkTable(values: readonly (readonly number[])[], what: string): number {
  checkGroups(values, what);
  const P = values[0]!.length;
  if (values.some((r) => r.length !== P)) throw new Error(`${what}: every seed's row must hold the same problems (lengths ${values.map((r) => r.length).join(', ')})`);
  return P;
}

export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Interval {
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
export function bootstrapNested(groups: readonly (readonly number[])[], opts: BootstrapOptions = {}): Interval {
  checkGroups(groups, 'bootstrapNested');
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let b = 0; b < B; b++) draws[b] = nestedDraw(groups, rng);
  return interval(avg(groups.map(avg)), draws);
}

/** CI of mean(a) − mean(b), each a nested (seeds × problems) sample, resampled independently. */
export function bootstrapDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[], opts: BootstrapOptions = {}): Interval {
  checkGroups(a, 'bootstrapDiff (a)');
  checkGroups(b, 'bootstrapDiff (b)');
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let k = 0; k < B; k++) draws[k] = nestedDraw(a, rng) - nestedDraw(b, rng);
  return interval(avg(a.map(avg)) - avg(b.map(avg)), draws);
}

/** mean over the resampled seeds of the mean over the resampled problems (the crossed replicate). */
function crossedMean(values: readonly (readonly number[])[], seedIdx: Int32Array, problemIdx: Int32Array): number {
  let s = 0;
  for (const i of seedIdx) {
    const row = values[i]!;
    let t = 0;
    for (const p of problemIdx) t += row[p]!;
    s += t / problemIdx.length;
  }
  return s / seedIdx.length;
}

/** n indices drawn with replacement from 0…n−1, or just [0] when n = 1 (nothing to resample). */
function resample(rng: Rng, n: number): Int32Array {
  const out = new Int32Array(n);
  if (n > 1) for (let i = 0; i < n; i++) out[i] = rng.int(n);
  return out;
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** values[s][p]: problem p's score under seed s, the problems shared by every seed. CI of mean_s mean_p. */
export function bootstrapCrossed(values: readonly (readonly number[])[], opts: BootstrapOptions = {}): Interval {
  const P = checkTable(values, 'bootstrapCrossed');
  const S = values.length;
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let b = 0; b < B; b++) draws[b] = crossedMean(values, resample(rng, S), resample(rng, P));
  return interval(crossedMean(values, identity(S), identity(P)), draws);
}

/** CI of (arm a − arm b), both seeds × problems tables over the same problems (paired by problem). */
export function bootstrapPairedDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[], opts: BootstrapOptions = {}): Interval {
  const P = checkTable(a, 'bootstrapPairedDiff (a)');
  if (checkTable(b, 'bootstrapPairedDiff (b)') !== P) throw new Error(`bootstrapPairedDiff: the arms must cover the same problems (${P} and ${b[0]!.length})`);
  const rng = new Rng(opts.seed ?? 1);
  const B = opts.B ?? B_DEFAULT;
  const draws = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    const problems = resample(rng, P);
    draws[k] = crossedMean(a, resample(rng, a.length), problems) - crossedMean(b, resample(rng, b.length), problems);
  }
  return interval(crossedMean(a, identity(a.length), identity(P)) - crossedMean(b, identity(b.length), identity(P)), draws);
}
