/**
 * The runner's view of the other rooms (envs/, agents/, rewards/), loaded through their index.ts only.
 *
 * Why loose, runtime-checked types: the rooms are built in parallel and their surfaces may still move;
 * this file is the single place that names what the runner uses, checks it at load time and fails with
 * an error naming the missing export, instead of scattering assumptions through the runner.
 */
import type { NamedWeights, TrainablePolicy, LearnerBatch } from '../agents/types.ts';
import type { AnnotationChannel, AnnotationLabel, AnnotationRequest } from './transport/types.ts';

export interface EnvLike {
  readonly spec: { id: string; family: 'text' | 'tools' | 'games'; maxEpisodeSteps: number; options: Record<string, unknown> };
  readonly observationSpace: { shape?: number[]; [k: string]: unknown };
  readonly actionSpace: { n?: number; [k: string]: unknown };
  reset(args?: { seed?: number; options?: Record<string, unknown> }): { obs: unknown; info: { message: string; [k: string]: unknown } };
  step(action: number): { obs: unknown; reward: number; terminated: boolean; truncated: boolean; info: { message: string; success?: boolean; [k: string]: unknown } };
  render?(): { rgb: Uint8Array; height: number; width: number; caption: string };
  close(): void;
}

export interface EnvsRoom {
  makeEnv(idOrPath: string, options?: Record<string, unknown>): EnvLike | Promise<EnvLike>;
  defaultTokenizer?: { vocabSize: number; pad: number; bos: number; eos: number; decode(ids: ArrayLike<number>): string };
}

/** Games: one batched forward for N envs. */
export interface GameActor {
  /** `logp`: log-prob under softmax(logits / temperature) (the distribution sampled from). */
  act(obs: Float32Array, N: number, opts?: { greedy?: boolean; temperature?: number; rng?: () => number; hidden?: boolean }): { actions: Int32Array; logp: Float32Array };
}

/** Text/tools: batched incremental sampler over N rows (see docs/policies.md). */
export interface TokenSampler {
  reset(row: number, prompt: Int32Array): void;
  feed(row: number, tokens: Int32Array): void;
  /** Tokens and log-probs indexed by row (length N); the sampled token is appended to the row's context. */
  sample(rows?: number[]): { tokens: Int32Array; logp: Float32Array; modelLogp?: Float32Array };
  deactivate?(row: number): void;
  dispose?(): void;
}

export type RunnerPolicy = TrainablePolicy & Partial<GameActor> & {
  sampler?(N: number, opts?: Record<string, unknown>): TokenSampler;
  config?: unknown;
};

export interface LearnerLike {
  update(batch: LearnerBatch): { metrics: Record<string, number>; skipped?: string } | Promise<{ metrics: Record<string, number>; skipped?: string }>;
  getState?(): unknown;
  setState?(state: unknown): void;
  dispose?(): void;
}

export interface AgentsRoom {
  initBackend?(name?: string): Promise<string>;
  createPolicy?(config: Record<string, unknown>): RunnerPolicy;
  GamePolicy?: new (config: Record<string, unknown>) => RunnerPolicy;
  TokenPolicy?: new (config: Record<string, unknown>) => RunnerPolicy;
  validateGamePolicyConfig?(c: Record<string, unknown>): Record<string, unknown>;
  validateTokenPolicyConfig?(c: Record<string, unknown>): Record<string, unknown>;
  encodeSafetensors(w: NamedWeights, metadata?: Record<string, string>): Uint8Array;
  decodeSafetensors(bytes: Uint8Array): { weights: NamedWeights; metadata: Record<string, string> };
  loadWeights?(path: string): { weights: NamedWeights; metadata: Record<string, string> } | Promise<{ weights: NamedWeights; metadata: Record<string, string> }>;
  policyFromCheckpoint?(path: string): RunnerPolicy | Promise<RunnerPolicy>;
  GrpoLearner?: new (policy: TrainablePolicy, config: Record<string, unknown>) => LearnerLike;
  validateGrpoConfig?(c: Record<string, unknown>): Record<string, unknown>;
}

export interface RewardModelLike {
  score(captions: string[]): Float32Array;
  /** r_int by annotation key (frame keys of the perceptual judge); the retrieval model has it. */
  scoreKeys?(keys: string[]): Float32Array;
  update(labels: AnnotationLabel[]): Record<string, number>;
  metrics?(): Record<string, number>;
  save(): unknown;
  load(state: any): void;
  dispose(): void;
}

export interface RewardsRoom {
  validateRewardsConfig(partial: Record<string, unknown>): Record<string, unknown> & { cExt?: number; cInt?: number; beta?: number };
  createRewardModel?(config: any): RewardModelLike;
  createAnnotator?(config: any, opts?: Record<string, unknown>): AnnotationChannel & { stats?(): Record<string, number>; close?(): Promise<void> | void };
  combineWithModel?(messages: readonly string[], rExt: ArrayLike<number>, model: { score(c: string[]): Float32Array }, coef: { cExt: number; cInt: number; beta: number }): { rewards: Float32Array; intrinsic: Float32Array; intrinsicSum: number; extrinsicSum: number };
  combineRewards?(messages: readonly string[], rExt: ArrayLike<number>, rInt: ArrayLike<number>, coef: { cExt: number; cInt: number; beta: number }): { rewards: Float32Array; intrinsic: Float32Array; intrinsicSum: number; extrinsicSum: number };
  frameKey?(envId: string, frame: { rgb: Uint8Array; height: number; width: number }, caption?: string): string;
  createJudge?(config: any, options?: Record<string, unknown>): Promise<any>;
  Annotator?: new (judge: any, config?: any) => AnnotationChannel & { metrics?(): Record<string, unknown>; close?(): Promise<void> | void };
}

export type { AnnotationChannel, AnnotationLabel, AnnotationRequest, NamedWeights, LearnerBatch };

function need<T>(room: string, mod: Record<string, unknown>, names: string[]): T {
  const missing = names.filter((n) => mod[n] === undefined);
  if (missing.length > 0) {
    throw new Error(`${room}/index.ts does not export ${missing.join(', ')} (needed by the runner; see runner/rooms.ts)`);
  }
  return mod as T;
}

// Paths in variables: the rooms may not exist yet when this file is type-checked. Worker threads can
// import .ts modules because their entries register tsx's loader (runner/ts-entry.mjs, actor/entry.mjs).
const ENVS = '../envs/index.ts';
const AGENTS = '../agents/index.ts';
const REWARDS = '../rewards/index.ts';

async function importRoom(path: string, room: string): Promise<Record<string, unknown>> {
  try {
    return (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(`${room}/index.ts`)) {
      throw new Error(`${room}/index.ts is missing: the runner needs the ${room} room`);
    }
    throw err;
  }
}

export async function loadEnvs(): Promise<EnvsRoom> {
  return need<EnvsRoom>('envs', await importRoom(ENVS, 'envs'), ['makeEnv']);
}

export async function loadAgents(): Promise<AgentsRoom> {
  return need<AgentsRoom>('agents', await importRoom(AGENTS, 'agents'), ['encodeSafetensors', 'decodeSafetensors']);
}

export async function loadRewards(): Promise<RewardsRoom> {
  return need<RewardsRoom>('rewards', await importRoom(REWARDS, 'rewards'), ['validateRewardsConfig']);
}
