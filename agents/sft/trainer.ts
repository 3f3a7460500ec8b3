/**
 * Supervised fine-tuning (SFT) on demonstrations: the warm start that gives RL a policy with a non-zero
 * success rate (as in the RL-from-a-pretrained/SFT-model recipe of InstructGPT, Ouyang et al. 2022, and
 * TRL's SFTTrainer with completion-only loss). Loss = mean negative log-likelihood of the policy's own
 * tokens (prompt and env-inserted tokens are context, never targets):
 *
 *   L(θ) = − Σ_{b,t} m_{b,t} · log π_θ(y_{b,t} | y_{b,<t}, x_b)  /  Σ m
 *
 * Adam (Kingma & Ba 2015), optional global-norm gradient clipping.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types';
import type { TokenPolicy } from '../policies/index.ts';
import { makeRng } from '../policies/index.ts';
import { parse, type Infer, type Input, type Schema } from '../../core/schema.ts';
import { packExamples, type SftExample } from './data.ts';

/** The SFT trainer's options. */
export const SFT_OPTIONS = {
  learningRate: { type: 'number', default: 3e-3, min: 0, exclusiveMin: true, max: 1, doc: 'Adam learning rate (3e-3: small models, short runs).' },
  batchSize: { type: 'int', default: 32, min: 1, doc: 'Examples per step.' },
  steps: { type: 'int', default: 300, min: 0, doc: 'Optimiser steps.' },
  gradClip: { type: 'number', default: 1, min: 0, max: 1e6, doc: 'Clip the global gradient norm to this (0 = off; 1 is GPT-2/nanoGPT practice).' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, doc: 'Seed of the batch order.' },
} as const satisfies Schema;

export type SftConfig = Infer<typeof SFT_OPTIONS>;

export function validateSftConfig(partial: Input<typeof SFT_OPTIONS> = {}, path = 'sft'): SftConfig {
  return parse(SFT_OPTIONS, partial, path);
}

export interface SftStepInfo {
  step: number;
  loss: number;
  /** Fraction of policy tokens the model's argmax gets right (teacher forced). */
  tokenAccuracy: number;
}

/** The masked NLL of a packed batch (differentiable; call inside tf.tidy / minimize). */
export function sftLoss(policy: TokenPolicy, batch: ReturnType<typeof packExamples>, maskT: tf.Tensor2D, targetsOh: tf.Tensor3D): { loss: tf.Scalar; correct: tf.Scalar } {
  const { logits } = policy.evaluate({ tokens: batch.tokens, B: batch.B, T: batch.T, promptLength: batch.promptLength });
  const logp = tf.logSoftmax(logits);
  const tokenLogp = logp.mul(targetsOh).sum(-1) as tf.Tensor2D;
  const n = Math.max(1, batch.mask.reduce((a, b) => a + b, 0));
  const loss = tokenLogp.mul(maskT).sum().neg().div(n) as tf.Scalar;
  const correct = tf.tidy(() => logits.argMax(-1).equal(targetsOh.argMax(-1)).cast('float32').mul(maskT).sum().div(n)) as tf.Scalar;
  return { loss, correct };
}

/**
 * A stateful trainer: `step()` does one Adam step on a random batch of `examples`; `train()` runs
 * `config.steps` of them, calling `onStep` after each (return false to stop early).
 */
export class SftTrainer {
  readonly config: SftConfig;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly rng;
  /** Optimiser steps taken so far. */
  stepCount = 0;

  constructor(readonly policy: TokenPolicy, readonly examples: SftExample[], config: Input<typeof SFT_OPTIONS> = {}) {
    this.config = validateSftConfig(config);
    if (examples.length === 0) throw new Error('SftTrainer: no examples');
    this.optimizer = tf.train.adam(this.config.learningRate);
    this.rng = makeRng(this.config.seed);
  }

  step(): SftStepInfo {
    const { batchSize } = this.config;
    const batch = packExamples(Array.from({ length: batchSize }, () => this.examples[Math.floor(this.rng() * this.examples.length)]!), this.policy.config.padId);
    const vars = this.policy.trainableVariables;
    const [lossV, acc] = tf.tidy(() => {
      const maskT = tf.tensor2d(batch.mask, [batch.B, batch.L]);
      const targetsOh = tf.oneHot(tf.tensor2d(batch.targets, [batch.B, batch.L], 'int32'), this.policy.numActions) as tf.Tensor3D;
      let correct: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = sftLoss(this.policy, batch, maskT, targetsOh);
        correct = tf.keep(out.correct);
        return out.loss;
      }, vars);
      let g = grads;
      if (this.config.gradClip > 0) {
        const names = Object.keys(grads);
        const norm = tf.sqrt(tf.addN(names.map((k) => grads[k]!.square().sum())));
        const scale = tf.minimum(1, tf.div(this.config.gradClip, norm.add(1e-6)));
        g = Object.fromEntries(names.map((k) => [k, grads[k]!.mul(scale)]));
      }
      this.optimizer.applyGradients(g as unknown as NamedVariableMap);
      return [value, correct!];
    });
    const info = { step: ++this.stepCount, loss: lossV.dataSync()[0]!, tokenAccuracy: acc.dataSync()[0]! };
    tf.dispose([lossV, acc]);
    return info;
  }

  train(onStep?: (info: SftStepInfo) => boolean | void): SftStepInfo | undefined {
    let last: SftStepInfo | undefined;
    for (let i = 0; i < this.config.steps; i++) {
      last = this.step();
      if (onStep && onStep(last) === false) break;
    }
    return last;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
