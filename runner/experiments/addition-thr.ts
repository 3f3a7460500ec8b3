/**
 * Text task: Addition-v0 (multi-digit addition, exact-match reward) from the SFT warm-start checkpoint
 * shipped in agents/checkpoints/, trained with THR-GRPO on the verifiable reward (no judge: the reward is
 * exact). G = 8 completions per prompt.
 */
import type { ExperimentConfigInput } from '../config.ts';
export default {
  name: 'addition-thr',
  description: 'Addition-v0 from the SFT warm start, THR-GRPO on the exact-match reward',
  seed: 1,
  env: { id: 'Addition-v0', options: {}, groupSize: 8 },
  policy: { checkpoint: 'agents/checkpoints/addition-v0.safetensors' },
  learner: { learningRate: 1e-4, thr: { p: 0.5, tau: 0 } },
  rewards: null,
  groupsPerUpdate: 8,
  budget: { seconds: 300 },
  actors: { workers: 1, groupsPerTask: 4 },
  logging: { checkpointEvery: 50, episodeEvery: 10 },
} satisfies ExperimentConfigInput;
