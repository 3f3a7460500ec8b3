/**
 * The episode contract shared by the text and tool families. startEpisode: Gymnasium's reset seeding
 * (a given seed reseeds the env's Rng, the first reset of a fresh env uses seed 0, otherwise the stream
 * continues), then problems drawn until one falls in the env's split (train and test are disjoint). The split
 * is a hash of the problem's `splitKey` (default: its prompt), so prompts that pose the same problem in
 * another order can share one key and one split.
 */
import type { Rng } from '../../core/rng.ts';
import { splitOf } from '../options.ts';
import type { ResetArgs } from '../types.ts';
import { defaultTokenizer } from '../tokenizer.ts';

const MAX_DRAWS = 10_000;

export function startEpisode<P extends { prompt: string; splitKey?: string }, O extends { split: 'train' | 'test' }>(
  id: string,
  rng: Rng,
  args: ResetArgs,
  firstReset: boolean,
  options: O,
  generate: (rng: Rng, options: O) => P,
): P {
  if (args.options !== undefined && Object.keys(args.options).length > 0) {
    throw new Error(`${id}: reset() takes no per-episode options (got ${Object.keys(args.options).join(', ')}); pass options to makeEnv instead`);
  }
  if (args.seed !== undefined) rng.seed(args.seed);
  else if (firstReset) rng.seed(0);
  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    const problem = generate(rng, options);
    if (splitOf(problem.splitKey ?? problem.prompt) === options.split) return problem;
  }
  throw new Error(`${id}: no '${options.split}' problem found in ${MAX_DRAWS} draws; options ${JSON.stringify(options)} allow too few problems`);
}

/** The step() contract of every token env: no step before reset or after the end, and a valid token id. */
export function checkTokenStep(id: string, action: number, done: boolean, started: boolean): void {
  if (done) throw new Error(`${id}: step() called ${started ? 'after the episode ended (terminated or truncated)' : 'before reset()'}; call reset() first`);
  if (!Number.isInteger(action) || action < 0 || action >= defaultTokenizer.vocabSize) {
    throw new Error(`${id}: action must be a token id in [0, ${defaultTokenizer.vocabSize}), got ${String(action)}`);
  }
}
