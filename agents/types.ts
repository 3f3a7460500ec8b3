/**
 * The contract between policies and the learner. Both sides of agents/ code against these types;
 * the runner ships `NamedWeights` to actor threads and builds `LearnerBatch`es from trajectories.
 *
 * One abstraction serves every env family: a rollout is a sequence of discrete actions ("tokens").
 * For text and tool envs an action is a generated token and V is the vocabulary; for games an action
 * is one move and V is the action set. The learner only ever sees padded [B, L] layouts.
 */
import type * as tf from '@tensorflow/tfjs';

export type { NamedWeights, LearnerBatch } from '../core/types.ts';
import type { NamedWeights } from '../core/types.ts';

/** Differentiable outputs of a policy over a learner batch, aligned with `LearnerBatch.actions`. */
export interface PolicyOutputs {
  /** [B, L, V] unnormalised scores: position (b, t) is the distribution that action (b, t) was sampled from. */
  logits: tf.Tensor3D;
  /** [B, L, d] last-layer hidden state at the same position (the `h` of Token Hidden Reward). */
  hidden: tf.Tensor3D;
}

/** What the learner needs of a policy. `I` is the policy-specific input layout (token ids, observations). */
export interface TrainablePolicy<I = unknown> {
  readonly kind: 'token' | 'game';
  /** V: vocabulary size (text, tools) or number of discrete actions (games). */
  readonly numActions: number;
  /** d: width of the last hidden layer, the one the output (unembedding) matrix W reads. */
  readonly hiddenSize: number;
  /** Variables the optimiser updates. */
  readonly trainableVariables: tf.Variable[];
  /** Differentiable forward for the learner (call inside tf.tidy / optimizer.minimize). */
  evaluate(inputs: I): PolicyOutputs;
  getWeights(): NamedWeights;
  /** Throws a clear error naming the tensor when a name is missing or a shape differs. */
  setWeights(weights: NamedWeights): void;
  dispose(): void;
}
