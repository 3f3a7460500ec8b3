/**
 * Building the policy of a resolved experiment config, identically in every thread (actors, learner):
 * the same config and seed give the same initial weights; weights then travel as safetensors bytes.
 */
import { createPolicy, decodeSafetensors, type AnyPolicy, type PolicyConfig } from '../../agents/index.ts';

/** The policy of `policyConfig` (a warm-start `checkpoint` path is loaded by the learner, not here). */
export function buildPolicy(policyConfig: PolicyConfig & { checkpoint?: string }): AnyPolicy {
  const { checkpoint: _ckpt, ...cfg } = policyConfig;
  return createPolicy(cfg);
}

/** Loads safetensors bytes into the policy. */
export function loadPolicyBytes(policy: AnyPolicy, bytes: Uint8Array): void {
  policy.setWeights(decodeSafetensors(bytes).weights);
}
