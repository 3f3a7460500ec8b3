/**
 * Realistic learner batches for the benchmarks: one update's worth of rollouts of a named experiment
 * (groupsPerUpdate groups of env.groupSize), sampled by the actors' own rollout code from the
 * experiment's initial policy, packed by the learner thread's batch builder. Rewards are the env's
 * extrinsic returns (no judge), `correct` is the rollout's success, as in the runner.
 */
import { makeEnv } from '../../../envs/index.ts';
import { GamePolicy, policyFromCheckpoint, type LearnerBatch, type TrainablePolicy } from '../../../agents/index.ts';
import { getExperiment } from '../../../runner/experiments/index.ts';
import { rolloutTokens } from '../../../runner/actor/tokens.ts';
import { rolloutGames, type ActorTask } from '../../../runner/actor/worker.ts';
import { buildLearnerBatch } from '../../../runner/learner/batch.ts';
import { SeededRng } from '../../../core/rng.ts';
import type { TrajectoryBatch } from '../../../runner/trajectory.ts';

export interface BenchBatch {
  name: string;
  kind: 'token' | 'game';
  policy: TrainablePolicy;
  batch: LearnerBatch;
  /** The experiment's learner section (learning rate, THR settings). */
  learner: Record<string, unknown>;
  checkpoint?: string;
  context?: number;
  obsShape?: number[];
  numActions: number;
}

/** One update's batch of the experiment `name` (addition-thr, toolcalc-thr, keydoor-thr, …). */
export async function experimentBatch(name: string, seed = 1): Promise<BenchBatch> {
  const exp = getExperiment(name) as Record<string, any>;
  const G = exp.env.groupSize as number, groups = exp.groupsPerUpdate as number;
  const envs = await Promise.all(Array.from({ length: groups * G }, () => makeEnv(exp.env.id, exp.env.options)));
  const spec = envs[0]!.spec as { family: string };
  const obsShape = envs[0]!.observationSpace.shape as number[];
  const numActions = (envs[0]!.actionSpace as unknown as { n: number }).n;
  const checkpoint = exp.policy.checkpoint as string | undefined;
  const policy: any = spec.family === 'games'
    ? new GamePolicy({ obsShape, numActions, ...exp.policy, seed: exp.seed })
    : policyFromCheckpoint(checkpoint!);
  const task = {
    init: { envId: exp.env.id, groupSize: G, temperature: 1, greedy: false, policy: { obsShape } },
    groups: Array.from({ length: groups }, (_, g) => ({ group: g, seed: seed * 7919 + g })),
    wantFrames: false,
  } as unknown as ActorTask;
  const out: TrajectoryBatch = { actorId: 'bench', taskIndex: 0, policyVersion: 0, records: [], faults: [], steps: 0, busyMs: 0, policyMs: 0 };
  const rng = new SeededRng(seed);
  if (spec.family === 'games') rolloutGames({ instances: envs as never, version: 0, frameKey: null }, policy as never, task, rng, out);
  else rolloutTokens(envs as never, policy, task, rng, out);
  for (const e of envs) e.close();
  const returns = Float32Array.from(out.records, (r) => r.rewards.reduce((a, b) => a + b, 0));
  const batch = buildLearnerBatch(out.records, { returns, stepRewards: out.records.map((r) => r.rewards) }, 0);
  return {
    name, kind: spec.family === 'games' ? 'game' : 'token', policy, batch, learner: exp.learner, checkpoint,
    context: policy.config?.context, obsShape, numActions,
  };
}
