/** runner/eval: evaluate a run directory, checkpoint or policy file on an env's held-out split (`npm run eval`). */
export { loadEvalTarget, type EvalTarget, type TargetOverrides } from './target.ts';
export { evaluateTarget, validateEvalOptions, type EvalResult, type PassResult } from './evaluate.ts';
export { EVAL_OPTIONS, type EvalOptions, type EvalOptionsInput } from './options.ts';
export { formatEvalTable, evalToCsv, evalToJson } from './report.ts';
