/**
 * Tool task: ToolCalc-v0 (the policy writes calculator calls, the env inserts results; ToolRL-style reward
 * components format/tool/args/answer), THR-GRPO, from the shipped ToolCalc warm start
 * (agents/checkpoints/toolcalc-v0.safetensors; from scratch the policy earns no reward: docs/policies.md).
 */
import type { ExperimentConfigInput } from '../config.ts';
export default {
  name: 'toolcalc-thr',
  description: 'ToolCalc-v0 (calculator tool use), THR-GRPO on the ToolRL reward components',
  seed: 1,
  env: { id: 'ToolCalc-v0', options: {}, groupSize: 8 },
  policy: { checkpoint: 'agents/checkpoints/toolcalc-v0.safetensors' },
  learner: { learningRate: 1e-4, thr: { p: 0.5, tau: 0 } },
  rewards: null,
  groupsPerUpdate: 8,
  budget: { seconds: 300 },
  actors: { workers: 1, groupsPerTask: 4 },
  logging: { checkpointEvery: 50, episodeEvery: 10 },
} satisfies ExperimentConfigInput;
