/**
 * Is a perceptual judge informative? Its scores on held-out solver demonstrations against progress:
 *  - per demonstration, Spearman's ρ between score and step index t, and between score and subgoal stage
 *    (./dataset.ts SolverDemonstration.stage), averaged over demonstrations with a bootstrap 95 % interval
 *    (resampling demonstrations) — does the score rise along one level's solution?
 *  - pooled over all frames of all demonstrations, ρ between score and t/T and between score and stage —
 *    are scores comparable across levels (what a fixed threshold or a retrieval table by frame needs)?
 * plus the score's spread and its mean per stage.
 */
import type { Frame } from '../types.ts';
import { bootstrapMean, spearman, type MeanCI } from '../stats.ts';

export interface ProgressCorrelation {
  demonstrations: number;
  frames: number;
  /** Demonstrations left out of the per-demonstration means because the score (or stage) was constant on them. */
  constantScore: number;
  perDemoStep: MeanCI;
  perDemoStage: MeanCI;
  pooledProgress: number;
  pooledStage: number;
  score: { min: number; p5: number; median: number; p95: number; max: number };
  meanByStage: Array<{ stage: number; frames: number; meanScore: number }>;
}

export async function progressCorrelation(score: (frames: Frame[]) => Promise<Float32Array>,
  demos: Array<{ frames: Frame[]; stage: number[] }>, seed = 1): Promise<ProgressCorrelation> {
  const perStep: number[] = [], perStage: number[] = [];
  const all: number[] = [], progress: number[] = [], stages: number[] = [];
  let constant = 0;
  for (const d of demos) {
    const r = Array.from(await score(d.frames));
    const rs = spearman(r, r.map((_, t) => t)), rg = spearman(r, d.stage);
    if (Number.isNaN(rs)) constant++; else perStep.push(rs);
    if (!Number.isNaN(rg)) perStage.push(rg);
    r.forEach((x, t) => { all.push(x); progress.push(t / Math.max(1, r.length - 1)); stages.push(d.stage[t]!); });
  }
  const sorted = [...all].sort((a, b) => a - b), q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const byStage = new Map<number, { n: number; s: number }>();
  all.forEach((x, i) => { const e = byStage.get(stages[i]!) ?? { n: 0, s: 0 }; e.n++; e.s += x; byStage.set(stages[i]!, e); });
  return {
    demonstrations: demos.length, frames: all.length, constantScore: constant,
    perDemoStep: bootstrapMean(perStep, { seed }), perDemoStage: bootstrapMean(perStage, { seed: seed + 1 }),
    pooledProgress: spearman(all, progress), pooledStage: spearman(all, stages),
    score: { min: sorted[0]!, p5: q(0.05), median: q(0.5), p95: q(0.95), max: sorted.at(-1)! },
    meanByStage: [...byStage].sort((a, b) => a[0] - b[0]).map(([stage, e]) => ({ stage, frames: e.n, meanScore: e.s / e.n })),
  };
}
