/**
 * Plug-in judges and reward models: users add their own without editing thrive's files, as envs'
 * `registerEnv` does for environments. A plug-in is a `kind` name, a factory, and optionally a `validate`
 * function for its config. Once registered, `validateRewardsConfig` accepts the kind (and lists it among
 * the valid ones when a kind is unknown), and `createJudge` / `createRewardModel` build it behind a guard
 * (rewards/guard.ts) that contains and counts its faults.
 *
 * Registrations live in the module instance of the thread that made them. A worker thread (the runner's
 * learner builds the reward model in one) or another process imports rewards/ afresh and does not see
 * them. For those, a config may name a plug-in MODULE: `{ kind: 'mine', plugin: './my-plugins.ts' }`.
 * Whoever validates or builds that config and does not know the kind loads the module (synchronously,
 * with require(), which tsx's hooks let load TypeScript in the main thread and in the runner's workers)
 * and calls its default export with this instance's register functions. The module must not use
 * top-level await, and should import rewards/ for types only (a value import would load a second copy).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../core/schema.ts';
import type { LlmJudgeOptions } from './judges/llm.ts';
import type { Judge, RewardModel } from './types.ts';

/** The config object of a plug-in: its `kind` and whatever keys its `validate` accepts. */
export interface PluginConfig {
  kind: string;
  [key: string]: unknown;
}

export type JudgeFactory<C extends PluginConfig = PluginConfig> = (config: C, options: LlmJudgeOptions) => Judge | Promise<Judge>;
export type RewardModelFactory<C extends PluginConfig = PluginConfig> = (config: C) => RewardModel;

export interface PluginOptions<C extends PluginConfig = PluginConfig> {
  /**
   * Fills defaults and checks the plug-in's config (the whole object, `kind` included; `path` is where it
   * sits, e.g. 'rewards.judge'). Throw an Error naming the bad key and what is valid. Must be idempotent:
   * a validated config validates to itself. Without it, any keys are accepted as given.
   */
  validate?: (partial: Record<string, unknown>, path: string) => C;
  /** Replace an earlier registration of the same kind (built-in kinds can never be replaced). */
  overwrite?: boolean;
}

export interface JudgePluginOptions<C extends PluginConfig = PluginConfig> extends PluginOptions<C> {
  /**
   * A batch the plug-in has not answered within this many ms gets `timeout` results, so a hung plug-in
   * cannot stall the annotator (its late answer is ignored). Default 60 000; 0 disables.
   */
  timeoutMs?: number;
}

export interface RewardModelPluginOptions<C extends PluginConfig = PluginConfig> extends PluginOptions<C> {
  /** The annotator mode this model wants by default: 'label' (scalar labels) or 'pair' (preferences). Default 'label'. */
  annotatorMode?: 'label' | 'pair';
}

interface Entry<F, O> { kind: string; factory: F; options: O }

export const BUILTIN_JUDGE_KINDS = ['rubric', 'llm', 'perceptual', 'novelty', 'shuffled'] as const;
export const BUILTIN_MODEL_KINDS = ['retrieval', 'classification', 'ranking'] as const;

const judges = new Map<string, Entry<JudgeFactory<any>, JudgePluginOptions<any>>>();
const models = new Map<string, Entry<RewardModelFactory<any>, RewardModelPluginOptions<any>>>();

function register<F, O extends PluginOptions<any>>(what: string, fn: string, builtin: readonly string[],
  map: Map<string, Entry<F, O>>, kind: string, factory: F, options: O): void {
  if (typeof kind !== 'string' || !/^[A-Za-z][A-Za-z0-9_.:-]*$/.test(kind)) {
    throw new Error(`${fn}: bad kind ${JSON.stringify(kind)} (a letter, then letters, digits, _ . : -)`);
  }
  if (builtin.includes(kind)) throw new Error(`${fn}: '${kind}' is a built-in ${what} kind and cannot be replaced; pick another name`);
  if (typeof factory !== 'function') throw new Error(`${fn}: the factory of '${kind}' must be a function, got ${typeof factory}`);
  if (options.validate !== undefined && typeof options.validate !== 'function') {
    throw new Error(`${fn}: options.validate of '${kind}' must be a function`);
  }
  if (map.has(kind) && !options.overwrite) throw new Error(`${fn}: '${kind}' is already registered (pass { overwrite: true } to replace it)`);
  map.set(kind, { kind, factory, options });
}

/**
 * Registers a judge kind. `factory(config, options)` returns a `Judge` (or a promise of one) for a
 * validated config; `options` are the LLM judge options passed to `createJudge` (e.g. `env`).
 */
export function registerJudge<C extends PluginConfig = PluginConfig>(kind: string, factory: JudgeFactory<C>,
  options: JudgePluginOptions<C> = {}): void {
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs >= 0)) {
    throw new Error(`registerJudge: options.timeoutMs of '${kind}' must be a number >= 0 (0 disables), got ${options.timeoutMs}`);
  }
  register('judge', 'registerJudge', BUILTIN_JUDGE_KINDS, judges, kind, factory, options);
}

/** Registers a reward model kind. `factory(config)` returns a `RewardModel` for a validated config. */
export function registerRewardModel<C extends PluginConfig = PluginConfig>(kind: string, factory: RewardModelFactory<C>,
  options: RewardModelPluginOptions<C> = {}): void {
  if (options.annotatorMode !== undefined && options.annotatorMode !== 'label' && options.annotatorMode !== 'pair') {
    throw new Error(`registerRewardModel: options.annotatorMode of '${kind}' must be 'label' or 'pair', got ${JSON.stringify(options.annotatorMode)}`);
  }
  register('reward model', 'registerRewardModel', BUILTIN_MODEL_KINDS, models, kind, factory, options);
}

/** Removes a plug-in registration (tests, hot reload); true when there was one. */
export function unregisterJudge(kind: string): boolean { return judges.delete(kind); }
export function unregisterRewardModel(kind: string): boolean { return models.delete(kind); }

/** Every valid judge kind: built-in first, then registered ones in registration order. */
export function judgeKinds(): string[] { return [...BUILTIN_JUDGE_KINDS, ...judges.keys()]; }
export function rewardModelKinds(): string[] { return [...BUILTIN_MODEL_KINDS, ...models.keys()]; }

export function judgePlugin(kind: string) { return judges.get(kind); }
export function rewardModelPlugin(kind: string) { return models.get(kind); }

/**
 * A plug-in's config: its own validate (if any) over a copy, with `kind` kept. The reserved key `plugin`
 * (the module path, see above) is checked here and kept, never shown to the plug-in's validate.
 */
export function validatePluginConfig(entry: { kind: string; options: PluginOptions<any> }, o: Record<string, unknown>,
  path: string): PluginConfig {
  const { plugin, ...rest } = o;
  if (plugin !== undefined && typeof plugin !== 'string') throw new ConfigError(`config key '${path}.plugin' must be a module path string, got ${JSON.stringify(plugin)}`);
  const input = { ...rest, kind: entry.kind };
  let out: unknown = input;
  if (entry.options.validate) {
    out = entry.options.validate(input, path) as unknown;
    if (out === null || typeof out !== 'object' || Array.isArray(out)) {
      throw new ConfigError(`${path}: the validate function of plug-in '${entry.kind}' returned ${JSON.stringify(out)}, expected a config object`);
    }
  }
  // Made absolute, so a worker or another process with another cwd loads the same file.
  const abs = plugin === undefined ? undefined : plugin.startsWith('file:') ? plugin : resolve(process.cwd(), plugin);
  return { ...(out as Record<string, unknown>), kind: entry.kind, ...(abs !== undefined ? { plugin: abs } : {}) };
}

/** What a plug-in module's default export receives: the register functions of the loading instance. */
export interface PluginApi {
  registerJudge: typeof registerJudge;
  registerRewardModel: typeof registerRewardModel;
}

const loadedModules = new Set<string>();

/**
 * Loads a plug-in module once per thread: `spec` is a path (relative to process.cwd()) or a file: URL;
 * its default export `(api: PluginApi) => void` registers its kinds. `where` names the config key in errors.
 */
export function loadPluginModule(spec: string, where: string): void {
  const file = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(process.cwd(), spec);
  if (loadedModules.has(file)) return;
  let mod: Record<string, unknown>;
  try {
    mod = createRequire(pathToFileURL(resolve(process.cwd(), 'noop.js')).href)(file) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: could not load plug-in module '${spec}' (${file}): ${(err as Error)?.message ?? String(err)}`);
  }
  const fn = (typeof mod === 'function' ? mod : mod?.default) as unknown;
  if (typeof fn !== 'function') {
    throw new Error(`${where}: plug-in module '${spec}' must default-export a function (api) => void that calls ` +
      `api.registerJudge / api.registerRewardModel; found exports: ${Object.keys(mod ?? {}).join(', ') || '(none)'}`);
  }
  try {
    (fn as (api: PluginApi) => void)({ registerJudge, registerRewardModel });
  } catch (err) {
    throw new Error(`${where}: plug-in module '${spec}' failed while registering: ${(err as Error)?.message ?? String(err)}`);
  }
  loadedModules.add(file);
}

/** Loads `o.plugin` when `o.kind` is neither built in nor registered yet (see the module comment). */
export function ensurePluginFor(o: Record<string, unknown>, builtin: readonly string[], map: 'judge' | 'model', where: string): void {
  const kind = o.kind, plugin = o.plugin;
  if (typeof kind !== 'string' || builtin.includes(kind) || typeof plugin !== 'string') return;
  if ((map === 'judge' ? judges : models).has(kind)) return;
  loadPluginModule(plugin, `${where}.plugin`);
}
