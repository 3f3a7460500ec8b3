/**
 * runner/: the experiment loop — config, the in-process transport, the actor pool, the learner thread,
 * run directories and checkpoints — plus the live stream (runner/stream, re-exported), evaluation of
 * checkpoints (runner/eval) and the comparison of run directories (compare.ts). See docs/runner.md.
 */
export { validateExperimentConfig, ConfigError, type ExperimentConfig, type EnvSection, type BudgetSection, type ActorsSection, type LoggingSection, type ServerSection, type TransportSection } from './config.ts';
export { resolveExperiment, type ResolvedExperiment } from './resolve.ts';
export { Experiment, runExperiment, type RunOptions, type RunResult } from './experiment.ts';
export { parseArgs, USAGE, type CliArgs } from './cli.ts';
export { interruptSignal } from './interrupt.ts';
export { EXPERIMENTS, DEFAULT_EXPERIMENT, getExperiment } from './experiments/index.ts';
export { InProcessTransport, BoundedQueue, TransportClosedError, sharedWeightPublisher, sharedWeightSubscriber } from './transport/inprocess.ts';
export { SharedWeights, type SharedWeightsHandle } from './transport/shared-weights.ts';
export type * from './transport/types.ts';
export { encodeBatch, decodeBatch, frame, unframe, type TrajectoryRecord, type TrajectoryBatch, type FaultRecord } from './trajectory.ts';
export { buildLearnerBatch } from './learner/batch.ts';
export { RunDir, writeFileAtomic } from './run-dir.ts';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, type CheckpointData, type RunnerCounters } from './checkpoint.ts';
export { SeededRng, deriveSeed } from '../core/rng.ts';
export * from './stream/index.ts';
export { runLearner, runActors, createAnnotator, type ActorsOptions, type ActorsResult } from './roles.ts';
export * from './transport/redis/index.ts';
export * from './eval/index.ts';
export { compareRuns, formatComparison, readRun, COMPARE_METRICS, type Comparison, type RunView, type MetricView } from './compare.ts';
