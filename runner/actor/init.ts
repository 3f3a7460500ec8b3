/**
 * What every actor worker thread is started with, built in one place for the in-process run and for the
 * actor processes of a multi-process run: the env, its family (from the env's spec), group and task
 * sizes, the policy config, the sampling temperature (learner.temperature), the weight buffer to read.
 */
import type { SharedWeightsHandle } from '../transport/shared-weights.ts';
import type { ResolvedExperiment } from '../resolve.ts';
import type { ActorInit } from './worker.ts';

export function actorInit(resolved: ResolvedExperiment, o: { key: string; weights: SharedWeightsHandle; backend?: string }): ActorInit {
  const c = resolved.config;
  return {
    key: o.key,
    envId: resolved.envRef,
    envOptions: c.env.options,
    family: resolved.family,
    groupSize: c.env.groupSize,
    groupsPerTask: c.actors.groupsPerTask,
    policy: c.policy,
    temperature: c.learner.temperature,
    greedy: c.actors.greedy,
    weights: o.weights,
    backend: o.backend,
    frameKeys: c.rewards?.judge.kind === 'perceptual',
  };
}
