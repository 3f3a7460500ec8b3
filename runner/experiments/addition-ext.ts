/** Addition-v0 baseline: plain GRPO (THR off) from the same warm start. */
import type { ExperimentConfigInput } from '../config.ts';
import base from './addition-thr.ts';

export default {
  ...base,
  name: 'addition-ext',
  description: 'Addition-v0 from the SFT warm start, plain GRPO (THR off)',
  learner: { ...base.learner, thr: { p: 0, tau: 0 } },
} satisfies ExperimentConfigInput;
