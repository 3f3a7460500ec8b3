/** Single-turn text tasks with verifiable rewards: Addition-v0, Reverse-v0, Sort-v0, EitherSort-v0, Countdown-v0. */
import { registerEnv } from '../registry.ts';
import {
  makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions, ADDITION_OPTIONS, STRING_TASK_OPTIONS,
  ADDITION_GOAL, REVERSE_GOAL, SORT_GOAL,
} from './tasks.ts';
import { makeEitherSort, validateEitherSortOptions, EITHER_SORT_OPTIONS, EITHER_SORT_GOAL } from './either-sort.ts';
import { makeCountdown, validateCountdownOptions, COUNTDOWN_OPTIONS, COUNTDOWN_GOAL } from './countdown.ts';

export { TextTaskEnv, type TextProblem, type TextTaskDef, type TextTaskOptions } from './task.ts';
export { TokenContext } from './context.ts';
export { chrF, sentenceBleu } from './metrics.ts';
export {
  makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions,
  ADDITION_OPTIONS, STRING_TASK_OPTIONS, type AdditionOptions, type StringTaskOptions,
} from './tasks.ts';
export { makeEitherSort, validateEitherSortOptions, EITHER_SORT_OPTIONS, type EitherSortOptions } from './either-sort.ts';
export {
  makeCountdown, validateCountdownOptions, evaluateCountdown, verifyCountdown, parseCountdownPrompt, COUNTDOWN_OPTIONS, type CountdownOptions,
} from './countdown.ts';

export function registerTextEnvs(): void {
  registerEnv('Addition-v0', {
    family: 'text', description: "Multi-digit addition: '12+34=' → '46'.", goal: ADDITION_GOAL,
    make: makeAddition, validateOptions: (o) => ({ ...validateAdditionOptions(o) }), optionSchema: ADDITION_OPTIONS,
  }, { overwrite: true });
  registerEnv('Reverse-v0', {
    family: 'text', description: "Reverse a string: 'rev:abc=' → 'cba'.", goal: REVERSE_GOAL,
    make: makeReverse, validateOptions: (o) => ({ ...validateReverseOptions(o) }), optionSchema: STRING_TASK_OPTIONS,
  }, { overwrite: true });
  registerEnv('Sort-v0', {
    family: 'text', description: "Sort the characters of a string: 'sort:dbca=' → 'abcd'.", goal: SORT_GOAL,
    make: makeSort, validateOptions: (o) => ({ ...validateSortOptions(o) }), optionSchema: STRING_TASK_OPTIONS,
  }, { overwrite: true });
  registerEnv('EitherSort-v0', {
    family: 'text', description: "Sort distinct digits either way — exactly two correct answers: 'ud:5183=' → '1358' or '8531'.", goal: EITHER_SORT_GOAL,
    make: makeEitherSort, validateOptions: (o) => ({ ...validateEitherSortOptions(o) }), optionSchema: EITHER_SORT_OPTIONS,
  }, { overwrite: true });
  registerEnv('Countdown-v0', {
    family: 'text', description: "Reach the target with +, −, × over the given numbers, each at most once: 'cd:3,5,7,12;41=' → '3*12+5'.", goal: COUNTDOWN_GOAL,
    make: makeCountdown, validateOptions: (o) => ({ ...validateCountdownOptions(o) }), optionSchema: COUNTDOWN_OPTIONS,
  }, { overwrite: true });
}
