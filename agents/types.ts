/**
 * The contract between policies and the learner. Both sides of agents/ code against these types;
 * the runner ships `NamedWeights` to actor threads and builds `LearnerBatch`es from trajectories.
 *
 * One abstraction serves every env family: a rollout is a sequence of discrete actions ("tokens").
 * For text and tool envs an action is a generated token and V is the vocabulary; for games an action
 * is one move and V is the action set. The learner only ever sees padded [B, L] layouts.
 */
import type * as tf from '@tensorflow/tfjs';

/** A flat, named set of float32 tensors: the unit of saving (safetensors), loading and broadcasting. */
export type NamedWeights = Record<string, { shape: number[]; data: Float32Array }>;

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

/**
 * A batch of B rollouts for one learner update, padded to L actions. Arrays are row-major [B, L].
 * Rollouts that share `groups[b]` were sampled from the same prompt (text, tools) or start seed (games).
 */
export interface LearnerBatch<I = unknown> {
  inputs: I;
  B: number;
  L: number;
  /** [B*L] the action taken at each position (0 where mask is 0). */
  actions: Int32Array;
  /** [B*L] 1 for a real action of the rollout, 0 for padding. */
  mask: Float32Array;
  /** [B*L] log π_old(action) recorded by the actor that sampled it (the behaviour policy). */
  behaviourLogp: Float32Array;
  /** [B] the rollout's return (extrinsic + intrinsic, already combined). */
  rewards: Float32Array;
  /** [B*L] optional per-step rewards, for process advantages. */
  stepRewards?: Float32Array;
  /**
   * [B*L] optional intrinsic part of each step's reward (c_int·r_int(m_t)·N(m_t)^(−β), already inside
   * `rewards` and `stepRewards`), for advantageMode 'outcome+intrinsic-to-go'.
   */
  intrinsicStepRewards?: Float32Array;
  /** [B] group index of each rollout. */
  groups: Int32Array;
  /** [B] optional explicit correctness for THR's set C (1 = correct); otherwise the learner's threshold rule. */
  correct?: Uint8Array;
  /** [B] optional per-rollout loss weight (e.g. staleness down-weighting); 1 when absent. */
  sampleWeights?: Float32Array;
}
