/** agents/: backend selection, policies, weights, warm starts, evaluation rollouts, and the GRPO + THR learner. */
export type * from './types.ts';
export { initBackend, activeBackend, parseBackendName, BACKEND_NAMES } from './backend.ts';
export type { BackendName } from './backend.ts';
export * from './weights/index.ts';
export * from './policies/index.ts';
export * from './sft/index.ts';
export * from './eval/index.ts';
export * from './learner/index.ts';
