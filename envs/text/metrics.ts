/**
 * Reference-based rewards for free-form text: chrF and sentence BLEU, scaled to [0, 1].
 *
 * chrF — Popović, "chrF: character n-gram F-score for automatic MT evaluation", WMT 2015:
 *   for n = 1…N (N = 6) character n-grams (whitespace removed): precision P_n, recall R_n over
 *   clipped n-gram counts; P, R = averages over the n that both strings are long enough for;
 *   chrF_β = (1 + β²)·P·R / (β²·P + R), β = 2 (recall weighted twice as much as precision).
 *
 * BLEU — Papineni et al., 2002, sentence level with add-one smoothing of the n > 1 precisions
 * (Lin & Och, 2004, "smoothing 2"): BLEU = BP · exp(Σ_{n=1}^{4} ¼ log p_n), BP = min(1, e^{1 − r/c}).
 * Tokens are whitespace-separated words; a one-word output is scored on its characters instead.
 */
function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join('\u0001');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

function clippedMatches(hyp: Map<string, number>, ref: Map<string, number>): number {
  let k = 0;
  for (const [g, c] of hyp) k += Math.min(c, ref.get(g) ?? 0);
  return k;
}

export function chrF(hypothesis: string, reference: string, maxN = 6, beta = 2): number {
  const h = [...hypothesis.replace(/\s+/g, '')];
  const r = [...reference.replace(/\s+/g, '')];
  if (h.length === 0 || r.length === 0) return h.length === r.length ? 1 : 0;
  let pSum = 0, rSum = 0, count = 0;
  for (let n = 1; n <= maxN; n++) {
    if (h.length < n || r.length < n) break;
    const hc = ngramCounts(h, n), rc = ngramCounts(r, n);
    const m = clippedMatches(hc, rc);
    pSum += m / (h.length - n + 1);
    rSum += m / (r.length - n + 1);
    count++;
  }
  const P = pSum / count, R = rSum / count;
  if (P + R === 0) return 0;
  const b2 = beta * beta;
  return ((1 + b2) * P * R) / (b2 * P + R);
}

export function sentenceBleu(hypothesis: string, reference: string, maxN = 4): number {
  let h = hypothesis.trim().split(/\s+/).filter(Boolean);
  let r = reference.trim().split(/\s+/).filter(Boolean);
  if (h.length <= 1 && r.length <= 1) { h = [...hypothesis.trim()]; r = [...reference.trim()]; }
  if (h.length === 0 || r.length === 0) return h.length === r.length ? 1 : 0;
  let logSum = 0;
  for (let n = 1; n <= maxN; n++) {
    const hc = ngramCounts(h, n), rc = ngramCounts(r, n);
    const total = Math.max(0, h.length - n + 1);
    const m = clippedMatches(hc, rc);
    const p = n === 1 ? m / total : (m + 1) / (total + 1);
    if (p === 0) return 0;
    logSum += Math.log(p) / maxN;
  }
  const bp = h.length >= r.length ? 1 : Math.exp(1 - r.length / h.length);
  return bp * Math.exp(logSum);
}
