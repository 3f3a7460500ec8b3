/**
 * The environment contract (Gymnasium 1.x semantics, TypeScript shapes).
 *
 *   reset({ seed, options }) → { obs, info }
 *   step(action)             → { obs, reward, terminated, truncated, info }
 *
 * terminated = the task itself ended (goal reached, answer given); truncated = an outside limit
 * (step budget, context length) cut the episode. After either, call reset(); stepping a finished
 * episode throws an Error.
 */
import type { Space } from './spaces.ts';

export type { Space } from './spaces.ts';

/** The env families the runner and rewards know about. */
export type EnvFamily = 'text' | 'tools' | 'games';

/** An RGB frame for the perceptual judge: `rgb` is row-major height × width × 3, plus a caption. */
export interface Frame {
  rgb: Uint8Array;
  height: number;
  width: number;
  /** What happened this step, in words (the step's `info.message`, '' when nothing worth saying). */
  caption: string;
}

/**
 * Per-step info. Must be msgpack-serialisable (checked by `checkEnv`).
 * `message` is on every step; `success` on the last step of every episode (built-in envs put it on
 * every step, false until the task is solved).
 */
export interface EnvInfo {
  message: string;
  success?: boolean;
  /** Text/tool envs, at reset: the prompt text. */
  prompt?: string;
  /** Text/tool envs, last step: the decoded text after the prompt (policy tokens and env insertions). */
  completion?: string;
  /** Text/tool envs, last step: the reference answer. */
  answer?: string;
  /** Text/tool envs, last step: the reward broken into named components. */
  rewardComponents?: Record<string, number>;
  /** Tool envs: the text the env appended to the context this step (a <result> or <error>). */
  inserted?: string;
  /** SyncVectorEnv: this step was an autoreset (the action was ignored). */
  autoreset?: boolean;
  [key: string]: unknown;
}

export interface ResetResult<O = unknown> {
  obs: O;
  info: EnvInfo;
}

export interface StepResult<O = unknown> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvInfo;
}

export interface ResetArgs {
  /** Seeds the env's RNG: the same seed gives the same episode, byte for byte. Omitted: continue the RNG stream. */
  seed?: number;
  /** Per-episode options (env-specific; built-in envs accept none and throw on unknown keys). */
  options?: Record<string, unknown>;
}

/** What the registry knows of an env instance: `env.spec`. */
export interface EnvSpec {
  id: string;
  family: EnvFamily;
  /** Hard step limit of one episode (the episode is truncated there). */
  maxEpisodeSteps: number;
  /** The full, validated options the instance was made with (defaults filled in). */
  options: Record<string, unknown>;
  /**
   * The task in words, one clause (e.g. 'find the way through a maze to the goal square'): given to an
   * LLM judge as the agent's task. Optional; without it the judge is told 'make progress in the task {id}'.
   */
  goal?: string;
}

export interface Env<O = unknown, A = number> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  readonly spec: EnvSpec;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** Optional RGB render of the current state, captioned with the last step's message. */
  render?(): Frame;
  close(): void;
}

/** One segment of a correct solution: what the policy should write, and what the env inserts. */
export interface DemoSegment {
  role: 'policy' | 'env';
  text: string;
}

/** Text and tool envs: actions are token ids of the shared tokenizer, obs the token context so far. */
export interface TokenEnv extends Env<Int32Array, number> {
  /** A correct solution of the current episode (valid after reset). */
  demonstrate(): DemoSegment[];
}

/** A function (or class) that makes an env from options — the default export of a user env module. */
export type EnvFactory = (options: Record<string, unknown>) => Env<any, any>;
