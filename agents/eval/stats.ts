/**
 * Statistics of an evaluation: the unbiased pass@k estimator and a confidence interval for a success rate.
 */

/**
 * Unbiased pass@k from n samples of one problem, c of them correct (Chen et al. 2021, "Evaluating Large
 * Language Models Trained on Code", eq. 1): pass@k = 1 − C(n−c, k) / C(n, k), computed as the stable
 * product 1 − Π_{i=n−c+1}^{n} (1 − k/i). Average it over problems for the figure of a policy.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || k < 1 || c < 0 || c > n) {
    throw new Error(`passAtK needs integers n >= 1, 0 <= c <= n, k >= 1; got n=${n}, c=${c}, k=${k}`);
  }
  if (k > n) throw new Error(`pass@k needs n >= k samples, got n=${n}, k=${k}`);
  if (n - c < k) return 1;
  let p = 1;
  for (let i = n - c + 1; i <= n; i++) p *= 1 - k / i;
  return 1 - p;
}

/** The k of a pass@k curve from K samples: 1, 2, 4, … up to K, and K itself. */
export function passAtKs(K: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= K; k *= 2) ks.push(k);
  if (ks.at(-1) !== K) ks.push(K);
  return ks;
}

/** Mean pass@k over problems, for each k of `ks`; `correct[p]` = correct samples of problem p out of `n`. */
export function passAtKCurve(correct: readonly number[], n: number, ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ks) out[String(k)] = correct.reduce((a, c) => a + passAtK(n, c, k), 0) / Math.max(1, correct.length);
  return out;
}

/**
 * Wilson score interval of a binomial proportion (Wilson 1927): with p̂ = s/n and z the normal quantile
 * (1.96 for 95%), centre (p̂ + z²/2n) / (1 + z²/n), half-width z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
 * Unlike the normal approximation it stays inside [0, 1] and is not degenerate at 0 or n successes.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [NaN, NaN];
  const p = successes / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
