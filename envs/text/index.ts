/** Single-turn text tasks with verifiable rewards: Addition-v0, Reverse-v0, Sort-v0. */
import { registerEnv } from '../registry.ts';
import {
  makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions, ADDITION_OPTIONS, STRING_TASK_OPTIONS,
  ADDITION_GOAL, REVERSE_GOAL, SORT_GOAL,
} from './tasks.ts';

export { TextTaskEnv, type TextProblem, type TextTaskDef, type TextTaskOptions } from './task.ts';
export { TokenContext } from './context.ts';
export { chrF, sentenceBleu } from './metrics.ts';
export {
  makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions,
  ADDITION_OPTIONS, STRING_TASK_OPTIONS, type AdditionOptions, type StringTaskOptions,
} from './tasks.ts';

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
}
