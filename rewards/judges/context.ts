/**
 * Which env an item to judge belongs to (core's EnvContext: id, family, goal — from the env's spec, never
 * guessed from the id). A judge the runner builds holds the run's context, made from the probed env's spec;
 * a judge built without one (standalone use, benches, tests) looks each item's env id up in envs' registry
 * (the registration's family and goal). An id that is not registered has no context.
 */
import { registeredEnvContext } from '../../envs/index.ts';
import type { EnvContext } from '../types.ts';

export function envOfItem(own: EnvContext | undefined, envId: string): EnvContext | undefined {
  return own ?? registeredEnvContext(envId);
}
