/**
 * EitherSort-v0: a task with exactly two correct multi-token answers per problem, built to test whether an
 * RL method keeps probability mass on an alternative correct answer (THR's exploration claim).
 *
 *   "ud:5183=" → "1358" (ascending) or "8531" (descending)
 *
 * The input is 2–10 *distinct* digits, so the two answers always differ (from their first token on) and no
 * third completion is correct. `answers` = [ascending, descending]; `demonstrate()` shows the ascending one
 * (warm starts choose their own mix through the SFT data, see agents/sft). Train/test split: a hash of the
 * set of digits (the sorted string), so permutations of one held-out set are all held out.
 */
import { validateOptions, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { TextTaskEnv, type TextTaskDef, type TextTaskOptions } from './task.ts';
import { textOptionSchema } from './tasks.ts';

export interface EitherSortOptions extends TextTaskOptions {
  /** Fewest digits (2–10). */
  minLength: number;
  /** Most digits (≥ minLength, ≤ 10). */
  maxLength: number;
}

export const EITHER_SORT_OPTIONS: OptionSchema = {
  minLength: { type: 'int', default: 4, min: 2, max: 10, doc: 'Fewest distinct digits in the input.' },
  maxLength: { type: 'int', default: 6, min: 2, max: 10, doc: 'Most distinct digits in the input (≥ minLength). Difficulty knob.' },
  ...textOptionSchema(),
};

const DIGITS = '0123456789';

/** The task in words (spec.goal). */
export const EITHER_SORT_GOAL = 'write the given distinct digits sorted, in ascending or in descending order';

const eitherSortDef: TextTaskDef<EitherSortOptions> = {
  id: 'EitherSort-v0',
  goal: EITHER_SORT_GOAL,
  generate(rng: Rng, o: EitherSortOptions) {
    const n = rng.range(o.minLength, o.maxLength);
    const s = rng.shuffle([...DIGITS]).slice(0, n).join('');
    const up = [...s].sort().join('');
    const down = [...up].reverse().join('');
    return { prompt: `ud:${s}=`, answer: up, answers: [up, down], splitKey: `ud:${up}` };
  },
  maxPromptChars: (o) => 4 + o.maxLength,
  maxAnswerChars: (o) => o.maxLength,
};

export function validateEitherSortOptions(partial?: Record<string, unknown>): EitherSortOptions {
  const o = validateOptions<EitherSortOptions>('EitherSort-v0', EITHER_SORT_OPTIONS, partial);
  if (o.maxLength < o.minLength) throw new Error(`EitherSort-v0: bad value ${o.maxLength} for option 'maxLength'; valid: an integer ≥ minLength = ${o.minLength}`);
  if (o.maxNewTokens === 0) o.maxNewTokens = eitherSortDef.maxAnswerChars(o) + 2;
  return o;
}

export function makeEitherSort(partial?: Record<string, unknown>): TextTaskEnv<EitherSortOptions> {
  return new TextTaskEnv(eitherSortDef, validateEitherSortOptions(partial));
}
