/** The default experiment's extrinsic-only baseline: plain GRPO (THR off), no judge, no intrinsic reward. */
import type { ExperimentConfigInput } from '../config.ts';
import base from './keydoor-thr.ts';

export default {
  ...base,
  name: 'keydoor-ext',
  description: 'KeyDoor-v0 baseline: GRPO with the extrinsic (goal) reward only',
  learner: { ...base.learner, thr: { p: 0, tau: 0 } },
  rewards: null,
} satisfies ExperimentConfigInput;
