/** ToolCalc-v0 baseline: plain GRPO (THR off). */
import type { ExperimentConfigInput } from '../config.ts';
import base from './toolcalc-thr.ts';

export default {
  ...base,
  name: 'toolcalc-ext',
  description: 'ToolCalc-v0, plain GRPO (THR off)',
  learner: { ...base.learner, thr: { p: 0, tau: 0 } },
} satisfies ExperimentConfigInput;
