/**
 * Build a policy from its config, and save / restore a policy with its config in the safetensors
 * metadata (key "thrive.policy" = the JSON config; "thrive.format" = "1"), so a checkpoint rebuilds
 * its own policy.
 */
import type { NamedWeights } from '../types.ts';
import { decodeSafetensors, encodeSafetensors, loadWeights, saveWeights, type WeightsMetadata } from '../weights/index.ts';
import { GamePolicy, type GamePolicyConfig } from './game.ts';
import { TokenPolicy, type TokenPolicyConfig } from './token.ts';

export type PolicyConfig = GamePolicyConfig | TokenPolicyConfig;
export type AnyPolicy = GamePolicy | TokenPolicy;
/** What `createPolicy` accepts: a partial config with its `kind` (and required fields). */
export type PolicyConfigInput =
  | (Partial<GamePolicyConfig> & { kind: 'game'; obsShape: number[]; numActions: number })
  | (Partial<TokenPolicyConfig> & { kind: 'token' });

/** Build a policy from a (partial) config; `kind` picks the class. */
export function createPolicy(config: PolicyConfigInput & { kind: 'game' }): GamePolicy;
export function createPolicy(config: PolicyConfigInput & { kind: 'token' }): TokenPolicy;
export function createPolicy(config: PolicyConfigInput): AnyPolicy;
export function createPolicy(config: PolicyConfigInput): AnyPolicy {
  if (!config || typeof config !== 'object') throw new Error('createPolicy: expected a config object');
  if (config.kind === 'game') return new GamePolicy(config);
  if (config.kind === 'token') return new TokenPolicy(config);
  throw new Error(`createPolicy: kind=${JSON.stringify((config as { kind?: unknown }).kind)} is not valid; valid: 'game', 'token'`);
}

/** Metadata that lets `policyFromWeights` rebuild the policy; `extra` entries are kept alongside. */
export function policyMetadata(policy: AnyPolicy, extra: WeightsMetadata = {}): WeightsMetadata {
  return { ...extra, 'thrive.format': '1', 'thrive.policy': JSON.stringify(policy.config) };
}

/** Rebuild a policy from decoded weights + metadata (as returned by loadWeights / decodeSafetensors). */
export function policyFromWeights(weights: NamedWeights, metadata: WeightsMetadata, source = '<bytes>'): AnyPolicy {
  const raw = metadata['thrive.policy'];
  if (!raw) throw new Error(`${source}: no 'thrive.policy' config in the safetensors metadata; cannot rebuild a policy (load the weights with loadWeights and call setWeights instead)`);
  let config: PolicyConfigInput;
  try {
    config = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${source}: 'thrive.policy' metadata is not valid JSON (${(e as Error).message})`);
  }
  const policy = createPolicy(config);
  try {
    policy.setWeights(weights);
  } catch (e) {
    policy.dispose();
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  return policy;
}

/** Save a policy's weights and config (atomic write). */
export function savePolicy(path: string, policy: AnyPolicy, extra?: WeightsMetadata): void {
  saveWeights(path, policy.getWeights(), policyMetadata(policy, extra));
}

/** Rebuild a policy from a checkpoint file written by `savePolicy`. */
export function policyFromCheckpoint(path: string): AnyPolicy {
  const { weights, metadata } = loadWeights(path);
  return policyFromWeights(weights, metadata, `'${path}'`);
}

/** A policy as bytes (weights + config), e.g. to build the policy copy inside a worker thread. */
export function encodePolicy(policy: AnyPolicy, extra?: WeightsMetadata): Uint8Array {
  return encodeSafetensors(policy.getWeights(), policyMetadata(policy, extra));
}

export function decodePolicy(bytes: Uint8Array): AnyPolicy {
  const { weights, metadata } = decodeSafetensors(bytes);
  return policyFromWeights(weights, metadata);
}
