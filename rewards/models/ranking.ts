/**
 * Ranking reward model (ONI's ranking variant / Motif): a scalar network r_φ trained with the
 * Bradley–Terry loss on pairwise preferences,
 *
 *     loss = −Σ_k y_k log softmax(r_φ(m1), r_φ(m2))_k = −[y₁ log σ(r₁ − r₂) + (1 − y₁) log σ(r₂ − r₁)]
 *
 * (y₁ = 1 when the first caption is preferred, 0.5 for a tie). Its output is normalised by the mean and
 * std of r_φ over the captions seen in training, r̃ = (r − μ)/σ, and thresholded as in Motif:
 * r_int = 1[r̃ > ε] · r̃.
 *
 * Scalar labels (e.g. from the rubric) are used too: two replayed captions with different labels make a
 * pair whose preferred side is the higher label, so the model works with any judge.
 */
import * as tf from '@tensorflow/tfjs';
import type { RankingModelConfig } from '../config.ts';
import { mulberry32 } from '../../core/rng.ts';
import type { AnnotationLabel, RewardModel, RewardModelMetrics, RewardModelState } from '../types.ts';
import { Accuracy, isHeldOut } from './heldout.ts';
import { TextNet, type TextNetWeights } from './textnet.ts';

interface Pair { a: string; b: string; /** 1 = a preferred, 0 = b preferred, 0.5 tie */ y: number }
interface Scalar { caption: string; y: number }

export class RankingModel implements RewardModel {
  readonly kind = 'ranking' as const;
  private readonly net: TextNet;
  private pairs: Pair[] = [];
  private scalars: Scalar[] = [];
  private heldOut: AnnotationLabel[] = [];
  private preq = new Accuracy();
  private ignored = 0;
  private lastLoss = NaN;
  private mean = 0;
  private std = 1;
  private readonly rng: () => number;

  constructor(readonly config: RankingModelConfig) {
    this.net = new TextNet(config);
    this.rng = mulberry32(config.seed ^ 0xb7);
  }

  /** r̃: the network's output normalised by the running statistics (0 for the empty caption). */
  normalised(captions: string[]): Float32Array {
    const r = this.net.outputs(captions);
    return Float32Array.from(r, (v, i) => (captions[i] ? (v - this.mean) / this.std : 0));
  }

  score(captions: string[]): Float32Array {
    return Float32Array.from(this.normalised(captions), (v) => (v > this.config.threshold ? v : 0));
  }

  update(labels: AnnotationLabel[]): RewardModelMetrics {
    const freshPairs: Pair[] = [];
    const freshScalars: Scalar[] = [];
    for (const l of labels) {
      if (!l.caption || !Number.isFinite(l.label)) { this.ignored++; continue; }
      if (isHeldOut(l, this.config.heldOutFraction)) { this.heldOut.push(l); continue; }
      if (l.pair) freshPairs.push({ a: l.caption, b: l.pair.other, y: 1 - l.pair.preferred });
      else freshScalars.push({ caption: l.caption, y: l.label });
    }
    for (const ok of this.judgeAll(freshPairs, freshScalars)) this.preq.add(ok);
    this.pairs.push(...freshPairs);
    this.scalars.push(...freshScalars);
    const cap = this.config.replay;
    if (this.pairs.length > cap) this.pairs.splice(0, this.pairs.length - cap);
    if (this.scalars.length > cap) this.scalars.splice(0, this.scalars.length - cap);

    let sum = 0, steps = 0;
    if (freshPairs.length + freshScalars.length > 0) {
      for (let s = 0; s < this.config.stepsPerUpdate; s++) {
        const batch = this.sample();
        if (!batch.length) break;
        sum += this.net.step(() => tf.tidy(() => {
          const ra = this.net.forward(this.net.features(batch.map((p) => p.a)));
          const rb = this.net.forward(this.net.features(batch.map((p) => p.b)));
          return tf.losses.sigmoidCrossEntropy(tf.tensor1d(batch.map((p) => p.y)), tf.sub(ra, rb)) as tf.Scalar;
        }));
        steps++;
      }
      this.refreshStats();
    }
    this.lastLoss = steps ? sum / steps : NaN;
    return this.metrics();
  }

  /** Minibatch of pairs: half from preference pairs, the rest made from scalar labels that differ. */
  private sample(): Pair[] {
    const n = this.config.batchSize;
    const out: Pair[] = [];
    const fromPairs = this.scalars.length >= 2 ? Math.ceil(n / 2) : n;
    for (let i = 0; i < fromPairs && this.pairs.length; i++) out.push(this.pairs[Math.floor(this.rng() * this.pairs.length)]!);
    for (let tries = 0; out.length < n && this.scalars.length >= 2 && tries < n * 8; tries++) {
      const a = this.scalars[Math.floor(this.rng() * this.scalars.length)]!;
      const b = this.scalars[Math.floor(this.rng() * this.scalars.length)]!;
      if (a.y !== b.y) out.push({ a: a.caption, b: b.caption, y: a.y > b.y ? 1 : 0 });
    }
    return out;
  }

  private refreshStats(): void {
    const seen = new Set<string>();
    for (const p of this.pairs) { seen.add(p.a); seen.add(p.b); }
    for (const s of this.scalars) seen.add(s.caption);
    const r = this.net.outputs([...seen].filter(Boolean));
    if (r.length < 2) return;
    let m = 0; for (const v of r) m += v; m /= r.length;
    let v2 = 0; for (const v of r) v2 += (v - m) ** 2;
    this.mean = m;
    this.std = Math.sqrt(v2 / (r.length - 1)) || 1;
  }

  /** Whether the current model agrees with each label (ties in pairs are skipped). */
  private judgeAll(pairs: Pair[], scalars: Scalar[]): boolean[] {
    const out: boolean[] = [];
    const decisive = pairs.filter((p) => p.y !== 0.5);
    if (decisive.length) {
      const ra = this.net.outputs(decisive.map((p) => p.a)), rb = this.net.outputs(decisive.map((p) => p.b));
      decisive.forEach((p, i) => out.push((ra[i]! > rb[i]!) === (p.y === 1)));
    }
    if (scalars.length) {
      const r = this.normalised(scalars.map((s) => s.caption));
      scalars.forEach((s, i) => out.push((r[i]! > this.config.threshold) === (s.y >= 0.5)));
    }
    return out;
  }

  metrics(): RewardModelMetrics {
    const acc = new Accuracy();
    const pairs: Pair[] = [], scalars: Scalar[] = [];
    for (const l of this.heldOut) {
      if (l.pair) pairs.push({ a: l.caption, b: l.pair.other, y: 1 - l.pair.preferred });
      else scalars.push({ caption: l.caption, y: l.label });
    }
    for (const ok of this.judgeAll(pairs, scalars)) acc.add(ok);
    return {
      trained: this.pairs.length + this.scalars.length, heldOut: this.heldOut.length, heldOutAccuracy: acc.value,
      prequentialAccuracy: this.preq.value, ignored: this.ignored, loss: this.lastLoss,
    };
  }

  save(): RewardModelState {
    return {
      kind: 'ranking', version: 1, config: this.config, weights: this.net.getWeights(), mean: this.mean, std: this.std,
      pairs: this.pairs, scalars: this.scalars, heldOut: this.heldOut, prequential: this.preq.toJSON(), ignored: this.ignored,
    };
  }

  load(state: RewardModelState): void {
    if (state?.kind !== 'ranking' || state.version !== 1) {
      throw new Error(`RankingModel.load: expected a ranking state (version 1), got kind '${String(state?.kind)}'`);
    }
    this.net.setWeights(state.weights as TextNetWeights, 'RankingModel');
    this.mean = Number(state.mean ?? 0);
    this.std = Number(state.std ?? 1) || 1;
    this.pairs = (state.pairs as Pair[]) ?? [];
    this.scalars = (state.scalars as Scalar[]) ?? [];
    this.heldOut = (state.heldOut as AnnotationLabel[]) ?? [];
    this.preq = Accuracy.from(state.prequential);
    this.ignored = Number(state.ignored ?? 0);
  }

  dispose(): void { this.net.dispose(); }
}
