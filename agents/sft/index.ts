/** SFT warm starts: demonstrations → token sequences, the supervised trainer, and rollout evaluation. */
export { exampleFromSegments, collectDemonstrations, packExamples, assertDemonstrable } from './data.ts';
export type { SftExample } from './data.ts';
export { SftTrainer, validateSftConfig, sftLoss } from './trainer.ts';
export type { SftConfig, SftStepInfo } from './trainer.ts';
export { evaluateTokenPolicy, continuationLogProbs, correctAnswerMass } from './evaluate.ts';
export type { RolloutStats } from './evaluate.ts';
