/** Single-turn text tasks with verifiable rewards: Addition-v0, Reverse-v0, Sort-v0. */
import { registerEnv } from '../registry.ts';
import { makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions, ADDITION_OPTIONS, STRING_TASK_OPTIONS } from './tasks.ts';

export { TextTaskEnv, type TextProblem, type TextTaskDef, type TextTaskOptions } from './task.ts';
export { TokenContext } from './context.ts';
export { chrF, sentenceBleu } from './metrics.ts';
export {
  makeAddition, makeReverse, makeSort, validateAdditionOptions, validateReverseOptions, validateSortOptions,
  ADDITION_OPTIONS, STRING_TASK_OPTIONS, type AdditionOptions, type StringTaskOptions,
} from './tasks.ts';

export function registerTextEnvs(): void {
  registerEnv('Addition-v0', {
    family: 'text', description: "Multi-digit addition: '12+34=' → '46'.",
    make: makeAddition, validateOptions: (o) => ({ ...validateAdditionOptions(o) }), optionSchema: ADDITION_OPTIONS,
  }, { overwrite: true });
  registerEnv('Reverse-v0', {
    family: 'text', description: "Reverse a string: 'rev:abc=' → 'cba'.",
    make: makeReverse, validateOptions: (o) => ({ ...validateReverseOptions(o) }), optionSchema: STRING_TASK_OPTIONS,
  }, { overwrite: true });
  registerEnv('Sort-v0', {
    family: 'text', description: "Sort the characters of a string: 'sort:dbca=' → 'abcd'.",
    make: makeSort, validateOptions: (o) => ({ ...validateSortOptions(o) }), optionSchema: STRING_TASK_OPTIONS,
  }, { overwrite: true });
}
