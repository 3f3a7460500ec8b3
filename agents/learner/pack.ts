/**
 * Packing groups of rollouts into the padded [B, L] LearnerBatch the learner takes — for using the learner
 * on its own (the runner builds its batches from trajectory records itself).
 */
import type { LearnerBatch } from '../types.ts';

/** One rollout: its actions, the behaviour policy's log-probs of them, and its return. */
export interface Rollout {
  actions: ArrayLike<number>;
  /** log π_old(action) per action, as recorded when sampling. */
  behaviourLogp: ArrayLike<number>;
  /** The rollout's return. */
  reward: number;
  /** Optional per-step rewards (process advantages), one per action. */
  stepRewards?: ArrayLike<number>;
  /** Optional intrinsic part of each step's reward (already in `reward`), one per action ('outcome+intrinsic-to-go'). */
  intrinsicStepRewards?: ArrayLike<number>;
  /** Optional explicit membership of THR's correct set. */
  correct?: boolean;
  /** Optional loss weight (1 when absent). */
  sampleWeight?: number;
}

/**
 * Pads G rollouts per group into a LearnerBatch, group by group, in order (rollout b of the batch is the
 * b-th rollout when the groups are read in order). `inputs` is the policy's own input layout for those
 * B rows and L = the longest rollout — pass a function to build it from (B, L).
 */
export function packGroups<I>(groups: readonly (readonly Rollout[])[], inputs: I | ((B: number, L: number) => I)): LearnerBatch<I> {
  const rollouts = groups.flat();
  const B = rollouts.length;
  if (B === 0) throw new Error('packGroups: no rollouts');
  const L = Math.max(...rollouts.map((r) => r.actions.length));
  if (L === 0) throw new Error('packGroups: every rollout is empty');
  const anySteps = rollouts.some((r) => r.stepRewards), anyIntrinsic = rollouts.some((r) => r.intrinsicStepRewards);
  const anyCorrect = rollouts.some((r) => r.correct !== undefined);
  const anyWeight = rollouts.some((r) => r.sampleWeight !== undefined);
  const batch: LearnerBatch<I> = {
    inputs: typeof inputs === 'function' ? (inputs as (B: number, L: number) => I)(B, L) : inputs,
    B, L,
    actions: new Int32Array(B * L), mask: new Float32Array(B * L), behaviourLogp: new Float32Array(B * L),
    rewards: new Float32Array(B), groups: new Int32Array(B),
    ...(anySteps ? { stepRewards: new Float32Array(B * L) } : {}),
    ...(anyIntrinsic ? { intrinsicStepRewards: new Float32Array(B * L) } : {}),
    ...(anyCorrect ? { correct: new Uint8Array(B) } : {}),
    ...(anyWeight ? { sampleWeights: new Float32Array(B).fill(1) } : {}),
  };
  let b = 0;
  groups.forEach((group, g) => {
    group.forEach((r, i) => {
      const n = r.actions.length;
      if (r.behaviourLogp.length !== n) throw new Error(`packGroups: group ${g} rollout ${i} has ${n} actions but ${r.behaviourLogp.length} behaviourLogp`);
      for (const [key, any] of [['stepRewards', anySteps], ['intrinsicStepRewards', anyIntrinsic]] as const) {
        const v = r[key];
        if (v && v.length !== n) throw new Error(`packGroups: group ${g} rollout ${i} has ${n} actions but ${v.length} ${key}`);
        if (any && !v) throw new Error(`packGroups: group ${g} rollout ${i} has no ${key} while others do`);
      }
      for (let t = 0; t < n; t++) {
        batch.actions[b * L + t] = r.actions[t];
        batch.mask[b * L + t] = 1;
        batch.behaviourLogp[b * L + t] = r.behaviourLogp[t];
        if (batch.stepRewards && r.stepRewards) batch.stepRewards[b * L + t] = r.stepRewards[t];
        if (batch.intrinsicStepRewards && r.intrinsicStepRewards) batch.intrinsicStepRewards[b * L + t] = r.intrinsicStepRewards[t];
      }
      batch.rewards[b] = r.reward;
      batch.groups[b] = g;
      if (batch.correct) batch.correct[b] = r.correct ? 1 : 0;
      if (batch.sampleWeights && r.sampleWeight !== undefined) batch.sampleWeights[b] = r.sampleWeight;
      b++;
    });
  });
  return batch;
}
