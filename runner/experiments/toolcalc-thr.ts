/**
 * Tool task: ToolCalc-v0 (the policy writes calculator calls, the env inserts results; ToolRL-style reward
 * components format/tool/args/answer), THR-GRPO. Uses the ToolCalc warm start when agents/checkpoints/
 * ships one (set policy.checkpoint); without it the policy starts from scratch and rarely succeeds.
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
