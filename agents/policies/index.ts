/** Policies: the game MLP / im2col-conv policy, the token transformer, sampling, and checkpoint helpers. */
export { GamePolicy, validateGamePolicyConfig, gamePolicyParameterCount, GAME_POLICY_OPTIONS } from './game.ts';
export type { GamePolicyConfig, GamePolicyConfigInput, GameInputs, ActOptions, ActResult } from './game.ts';
export { MAX_POLICY_PARAMETERS } from './size.ts';
export { createPolicy, policyFromCheckpoint, policyFromWeights, savePolicy, encodePolicy, decodePolicy, policyMetadata } from './factory.ts';
export type { PolicyConfig, PolicyConfigInput, AnyPolicy } from './factory.ts';
export { makeRng } from './rng.ts';
export type { Rng } from './rng.ts';
export { validateSamplingOptions, chooseAction, SAMPLING_OPTIONS } from './sampling.ts';
export type { SamplingOptions, Choice } from './sampling.ts';
export { TokenPolicy, validateTokenPolicyConfig, tokenPolicyParameterCount, TOKEN_POLICY_OPTIONS } from './token.ts';
export type { TokenPolicyConfig, TokenPolicyConfigInput, TokenInputs } from './token.ts';
export { TokenSampler } from './token-sampler.ts';
export type { SamplerOptions, SampleResult } from './token-sampler.ts';
