/**
 * Trajectory records → a padded `LearnerBatch` (agents/types.ts).
 *
 * Games: inputs { obs [B*L*obsDim], B, L }, one position per move.
 * Text/tools: inputs { tokens [B*T], B, T, promptLength: P }: prompts LEFT-padded to P with the pad id,
 *   continuations RIGHT-padded, L = T − P, position t scores token P + t. Env-inserted tokens (tool
 *   results) are positions with mask 0.
 * Rewards: `returns[b]` is the rollout's combined return; `stepRewards[b][i]` the combined reward of its
 * i-th policy action, placed at that action's position; `intrinsicStepRewards[b][i]` (optional) its intrinsic
 * part, placed the same way (advantageMode 'outcome+intrinsic-to-go').
 */
import type { LearnerBatch } from '../../agents/types.ts';
import type { TrajectoryRecord } from '../trajectory.ts';

export interface BatchRewards {
  returns: Float32Array;
  /** Per record, one combined reward per policy action. */
  stepRewards: Float32Array[];
  /** Per record, the intrinsic part of each combined reward (same layout); omitted = not carried. */
  intrinsicStepRewards?: Float32Array[];
  /** Per record loss weight (staleness down-weighting); omitted = all 1. */
  sampleWeights?: Float32Array;
}

export function buildLearnerBatch(records: TrajectoryRecord[], rw: BatchRewards, padId = 0): LearnerBatch {
  const B = records.length;
  if (B === 0) throw new Error('buildLearnerBatch: no records');
  const groupIndex = new Map<number, number>();
  const groups = new Int32Array(B);
  records.forEach((r, b) => {
    if (!groupIndex.has(r.group)) groupIndex.set(r.group, groupIndex.size);
    groups[b] = groupIndex.get(r.group)!;
  });
  const correct = Uint8Array.from(records, (r) => (r.success ? 1 : 0));
  const isTokens = records[0].tokens !== undefined;
  let inputs: unknown;
  let L: number;
  let actions: Int32Array;
  let mask: Float32Array;
  let behaviourLogp: Float32Array;
  let stepRewards: Float32Array;
  const intrinsic = rw.intrinsicStepRewards;
  let intrinsicStepRewards: Float32Array | undefined;
  if (!isTokens) {
    const obsDim = records[0].obsDim!;
    L = Math.max(1, ...records.map((r) => r.actions.length));
    const obs = new Float32Array(B * L * obsDim);
    actions = new Int32Array(B * L);
    mask = new Float32Array(B * L);
    behaviourLogp = new Float32Array(B * L);
    stepRewards = new Float32Array(B * L);
    if (intrinsic) intrinsicStepRewards = new Float32Array(B * L);
    records.forEach((r, b) => {
      const n = r.actions.length;
      if (intrinsicStepRewards) intrinsicStepRewards.set(intrinsic![b].subarray(0, n), b * L);
      obs.set(r.obs!.subarray(0, n * obsDim), b * L * obsDim);
      actions.set(r.actions, b * L);
      behaviourLogp.set(r.logp, b * L);
      stepRewards.set(rw.stepRewards[b].subarray(0, n), b * L);
      mask.fill(1, b * L, b * L + n);
    });
    inputs = { obs, B, L };
  } else {
    const P = Math.max(...records.map((r) => r.promptLength!));
    L = Math.max(1, ...records.map((r) => r.tokens!.length - r.promptLength!));
    const T = P + L;
    const tokens = new Int32Array(B * T).fill(padId);
    actions = new Int32Array(B * L);
    mask = new Float32Array(B * L);
    behaviourLogp = new Float32Array(B * L);
    stepRewards = new Float32Array(B * L);
    if (intrinsic) intrinsicStepRewards = new Float32Array(B * L);
    records.forEach((r, b) => {
      const p = r.promptLength!;
      const all = r.tokens!;
      tokens.set(all.subarray(0, p), b * T + (P - p));
      const cont = all.subarray(p);
      tokens.set(cont, b * T + P);
      let k = 0;
      for (let t = 0; t < cont.length; t++) {
        if (r.policyMask![t] === 1) {
          actions[b * L + t] = cont[t];
          mask[b * L + t] = 1;
          behaviourLogp[b * L + t] = r.contLogp![t];
          if (intrinsicStepRewards) intrinsicStepRewards[b * L + t] = intrinsic![b][k] ?? 0;
          stepRewards[b * L + t] = rw.stepRewards[b][k++] ?? 0;
        }
      }
    });
    inputs = { tokens, B, T, promptLength: P };
  }
  const batch: LearnerBatch = { inputs, B, L, actions, mask, behaviourLogp, rewards: rw.returns, stepRewards, groups, correct };
  if (rw.sampleWeights) batch.sampleWeights = rw.sampleWeights;
  if (intrinsicStepRewards) batch.intrinsicStepRewards = intrinsicStepRewards;
  return batch;
}
