/**
 * The start of a token env's episode, shared by the text and tool families: Gymnasium's reset seeding
 * (a given seed reseeds the env's Rng, the first reset of a fresh env uses seed 0, otherwise the stream
 * continues), then problems drawn until one falls in the env's split (train and test are disjoint).
 */
import type { Rng } from '../rng.ts';
import { splitOf } from '../options.ts';
import type { ResetArgs } from '../types.ts';

const MAX_DRAWS = 10_000;

export function startEpisode<P extends { prompt: string }, O extends { split: 'train' | 'test' }>(
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
    if (splitOf(problem.prompt) === options.split) return problem;
  }
  throw new Error(`${id}: no '${options.split}' problem found in ${MAX_DRAWS} draws; options ${JSON.stringify(options)} allow too few problems`);
}
