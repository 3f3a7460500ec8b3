/**
 * Classification reward model (ONI): a small character-level network trained online with cross-entropy
 * on the judge's labels, so captions never sent to the judge are still rewarded:
 *
 *     p(helpful | m) = σ(f_θ(m)),   loss = −[y log p + (1 − y) log(1 − p)],   r_int(m) = 1[p(helpful | m) > threshold]
 *
 * Labels are clamped to [0, 1] and used as (soft) targets. Each update() appends the new labels to a
 * replay buffer and takes `stepsPerUpdate` Adam steps on minibatches drawn from it.
 * Saved state: network weights, replay and counters (not the Adam moments: a loaded model restarts Adam).
 */
import * as tf from '@tensorflow/tfjs';
import type { ClassificationModelConfig } from '../config.ts';
import { mulberry32 } from '../../core/rng.ts';
import type { AnnotationLabel, RewardModel, RewardModelMetrics, RewardModelState } from '../types.ts';
import { Accuracy, isHeldOut } from './heldout.ts';
import { TextNet, type TextNetWeights } from './textnet.ts';

export class ClassificationModel implements RewardModel {
  readonly kind = 'classification' as const;
  private readonly net: TextNet;
  private replay: Array<{ caption: string; y: number }> = [];
  private heldOut: AnnotationLabel[] = [];
  private preq = new Accuracy();
  private ignored = 0;
  private lastLoss = NaN;
  private readonly rng: () => number;

  constructor(readonly config: ClassificationModelConfig) {
    this.net = new TextNet(config);
    this.rng = mulberry32(config.seed ^ 0xc1a55);
  }

  /** p(helpful | m) per caption (0 for the empty caption). */
  probabilities(captions: string[]): Float32Array {
    const logits = this.net.outputs(captions);
    return Float32Array.from(logits, (z, i) => (captions[i] ? 1 / (1 + Math.exp(-z)) : 0));
  }

  score(captions: string[]): Float32Array {
    return Float32Array.from(this.probabilities(captions), (p) => (p > this.config.threshold ? 1 : 0));
  }

  update(labels: AnnotationLabel[]): RewardModelMetrics {
    const fresh: Array<{ caption: string; y: number }> = [];
    for (const l of labels) {
      if (l.pair || !Number.isFinite(l.label) || !l.caption) { this.ignored++; continue; }
      if (isHeldOut(l, this.config.heldOutFraction)) { this.heldOut.push(l); continue; }
      fresh.push({ caption: l.caption, y: Math.min(1, Math.max(0, l.label)) });
    }
    if (fresh.length) {
      const p = this.probabilities(fresh.map((f) => f.caption));
      fresh.forEach((f, i) => this.preq.add((p[i]! > this.config.threshold) === (f.y >= 0.5)));
      this.replay.push(...fresh);
      if (this.replay.length > this.config.replay) this.replay.splice(0, this.replay.length - this.config.replay);
    }
    let sum = 0, steps = 0;
    if (this.replay.length && fresh.length) {
      for (let s = 0; s < this.config.stepsPerUpdate; s++) {
        const batch = this.sample();
        sum += this.net.step(() => tf.tidy(() => {
          const x = this.net.features(batch.map((b) => b.caption));
          const y = tf.tensor1d(batch.map((b) => b.y));
          return tf.losses.sigmoidCrossEntropy(y, this.net.forward(x)) as tf.Scalar;
        }));
        steps++;
      }
    }
    this.lastLoss = steps ? sum / steps : NaN;
    return this.metrics();
  }

  private sample(): Array<{ caption: string; y: number }> {
    const n = Math.min(this.config.batchSize, this.replay.length);
    const out = [];
    for (let i = 0; i < n; i++) out.push(this.replay[Math.floor(this.rng() * this.replay.length)]!);
    return out;
  }

  metrics(): RewardModelMetrics {
    const acc = new Accuracy();
    if (this.heldOut.length) {
      const p = this.probabilities(this.heldOut.map((l) => l.caption));
      this.heldOut.forEach((l, i) => acc.add((p[i]! > this.config.threshold) === (l.label >= 0.5)));
    }
    return {
      trained: this.replay.length, heldOut: this.heldOut.length, heldOutAccuracy: acc.value,
      prequentialAccuracy: this.preq.value, ignored: this.ignored, loss: this.lastLoss,
    };
  }

  save(): RewardModelState {
    return {
      kind: 'classification', version: 1, config: this.config, weights: this.net.getWeights(),
      replay: this.replay, heldOut: this.heldOut, prequential: this.preq.toJSON(), ignored: this.ignored,
    };
  }

  load(state: RewardModelState): void {
    if (state?.kind !== 'classification' || state.version !== 1) {
      throw new Error(`ClassificationModel.load: expected a classification state (version 1), got kind '${String(state?.kind)}'`);
    }
    this.net.setWeights(state.weights as TextNetWeights, 'ClassificationModel');
    this.replay = (state.replay as Array<{ caption: string; y: number }>) ?? [];
    this.heldOut = (state.heldOut as AnnotationLabel[]) ?? [];
    this.preq = Accuracy.from(state.prequential);
    this.ignored = Number(state.ignored ?? 0);
  }

  dispose(): void { this.net.dispose(); }
}
