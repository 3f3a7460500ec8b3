/** The options of an evaluation (runner/eval/evaluate.ts), declared once; light to import (the CLI parses its flags before loading TF.js). */
import type { Infer, Input, Schema } from '../../core/schema.ts';

export const EVAL_OPTIONS = {
  split: {
    type: 'enum', values: ['train', 'test'], default: 'test',
    doc: "The env's problem set ('test': held out from training). An env without a `split` option has one problem set: it is evaluated on that (with a note), and giving --split for it is an error.",
  },
  episodes: { type: 'int', default: 100, min: 1, max: 1_000_000, doc: 'Problems (levels): reset seeds 0 … episodes−1 of the split.' },
  greedy: { type: 'boolean', default: false, doc: 'Games: run the greedy pass (one argmax episode per level) instead of the default sampled one. Text and tool envs always get it.' },
  samples: { type: 'int', default: 0, min: 0, max: 4096, doc: 'K: also run the sampled pass with K episodes per problem (pass@k for k = 1, 2, 4, …, K). 0 = no sampled pass for text/tools, 1 per level for games (unless --greedy).' },
  temperature: { type: 'number', default: null, nullable: true, min: 0, exclusiveMin: true, doc: "Sampling temperature of the sampled pass. Default: the run's learner.temperature (1 without a run)." },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'Seed of the sampled pass’s sampling stream (the same seed and --envs give the same episodes).' },
  envs: { type: 'int', default: 32, min: 1, max: 4096, doc: 'Env instances stepped together (rows of the batched policy call).' },
} as const satisfies Schema;

export type EvalOptions = Infer<typeof EVAL_OPTIONS>;
export type EvalOptionsInput = Input<typeof EVAL_OPTIONS>;
