/**
 * KeyDoor-v0 with the perceptual judge only (frames, no captions): actors render every step's frame
 * (tileSize 4: 28×28 RGB, 2.3 kB; at tileSize 2 the agent and key are not drawn, only the door), the
 * annotator scores each distinct frame once with VLM-RM's goal-baseline reward (builtin colour-layout
 * encoder; goal / baseline = last / first frames of solver demonstrations the runner generates at start,
 * docs/runner.md), and ONI's combination counts N per episode over frame keys. Same learner, coefficients
 * and budget as the perceptual arm of scripts/experiments/perceptual.ts (which renders at tileSize 2).
 */
import type { ExperimentConfigInput } from '../config.ts';
export default {
  name: 'keydoor-perceptual',
  description: 'KeyDoor-v0 (sparse reward) with GRPO and perceptual-judge intrinsic rewards on rendered frames (retrieval model by frame key)',
  seed: 1,
  env: { id: 'KeyDoor-v0', options: { size: 7, maxSteps: 40, tileSize: 4 }, groupSize: 8 },
  policy: { hidden: [64, 64] },
  learner: { learningRate: 3e-3, thr: { p: 0, tau: 0 } },
  rewards: {
    judge: { kind: 'perceptual', encoder: { kind: 'builtin', grid: 7 }, mode: 'goal-baseline', alpha: 0.5, output: 'score' },
    model: { kind: 'retrieval' },
    cExt: 10,
    cInt: 0.1,
    beta: 3,
  },
  groupsPerUpdate: 8,
  budget: { updates: 150 },
  actors: { workers: 1, groupsPerTask: 4 },
  logging: { checkpointEvery: 50, episodeEvery: 10 },
} satisfies ExperimentConfigInput;
