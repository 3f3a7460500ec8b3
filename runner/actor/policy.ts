/**
 * Building the policy of a resolved experiment config, identically in every thread (actors, learner):
 * the same config and seed give the same initial weights; weights then travel as safetensors bytes.
 */
import type { AgentsRoom, RunnerPolicy } from '../rooms.ts';

export function buildPolicy(agents: AgentsRoom, policyConfig: Record<string, unknown>): RunnerPolicy {
  const { checkpoint: _ckpt, ...cfg } = policyConfig;
  if (agents.createPolicy) return agents.createPolicy(cfg);
  const kind = cfg.kind;
  if (kind === 'game' && agents.GamePolicy) return new agents.GamePolicy(cfg);
  if (kind === 'token' && agents.TokenPolicy) return new agents.TokenPolicy(cfg);
  throw new Error(`agents/index.ts exports no way to build a policy of kind '${String(kind)}' (createPolicy, GamePolicy or TokenPolicy)`);
}

/** Loads safetensors bytes into the policy. */
export function loadPolicyBytes(agents: AgentsRoom, policy: RunnerPolicy, bytes: Uint8Array): void {
  const { weights } = agents.decodeSafetensors(bytes);
  policy.setWeights(weights);
}
