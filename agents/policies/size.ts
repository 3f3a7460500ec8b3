/**
 * The largest policy a config may declare, in parameters (weights + biases), checked from the architecture
 * before anything is allocated (validateGamePolicyConfig, validateTokenPolicyConfig). 50 M float32
 * parameters are 200 MB of weights — about four times that with the gradient and Adam's two moments — already
 * more than a small machine's actor threads and learner hold, each with its own copy.
 */
export const MAX_POLICY_PARAMETERS = 50_000_000;
