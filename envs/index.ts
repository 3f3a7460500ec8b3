/**
 * envs/: the Env API (Gymnasium 1.x semantics), spaces, the seeded RNG, the registry, the
 * conformance checker, the sync vector env, the shared char tokenizer, and the built-in families
 * (games; text; tools). Other rooms import only this file.
 */
export type { Env, EnvFamily, EnvInfo, EnvSpec, Frame, ResetArgs, ResetResult, StepResult, TokenEnv, DemoSegment, EnvFactory } from './types.ts';
export { Discrete, Box, MultiDiscrete, MultiBinary, TokenSequence, type Space } from './spaces.ts';
export { Rng, hashString, hashBytes, mulberry32, mulberry32Next, type RngState } from '../core/rng.ts';
export { CharTokenizer, defaultTokenizer } from './tokenizer.ts';
export { validateOptions, describeOption, splitOf, splitOfHash, SPLIT_OPTION, type OptionSchema, type OptionSpec } from './options.ts';
export {
  registerEnv, makeEnv, makeEnvSync, listEnvs, getEnvRegistration, registeredEnvContext, validateEnvOptions, describeEnvOptions, isEnvPath,
  type EnvRegistration,
} from './registry.ts';
export { checkEnv, assertEnv, type CheckOptions, type CheckReport, type CheckResult } from './checker.ts';
export { SyncVectorEnv, VectorEnv, type VectorStepResult, type AutoresetMode } from './vector.ts';
export * from './games/index.ts';
export * from './text/index.ts';
export * from './tools/index.ts';

import { registerGameEnvs } from './games/index.ts';
import { registerTextEnvs } from './text/index.ts';
import { registerToolEnvs } from './tools/index.ts';

registerGameEnvs();
registerTextEnvs();
registerToolEnvs();
