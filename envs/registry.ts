/**
 * The env registry: ids → factories, plus loading an env from a user's own file by its path (so a
 * worker thread can import the same module). Built-in ids are registered by envs/index.ts.
 */
import { isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Env, EnvFamily, EnvSpec } from './types.ts';
import type { EnvContext } from '../core/types.ts';
import { describeSchema } from '../core/schema.ts';
import type { OptionSchema } from './options.ts';

export interface EnvRegistration {
  id: string;
  family: EnvFamily;
  /** One line for `listEnvs()` and the docs. */
  description: string;
  /** The task in words, as the env's `spec.goal` states it (the spec-as-data form; keep the two equal). */
  goal?: string;
  /** Makes an instance; must validate its options (unknown key / bad value → Error naming it). */
  make: (options?: Record<string, unknown>) => Env<any, any>;
  /** Options with defaults filled in (throws on bad ones), without building the env. */
  validateOptions?: (options?: Record<string, unknown>) => Record<string, unknown>;
  /** The documented option schema, if the env has one. */
  optionSchema?: OptionSchema;
}

const registry = new Map<string, EnvRegistration>();

const ENV_FAMILIES: readonly EnvFamily[] = ['games', 'text', 'tools'];

/**
 * Registers an env id. `entry` is a factory `(options) => Env` (with `opts.family`, `opts.description`,
 * `opts.goal` as the spec-as-data form) or a full registration. Re-registering an id throws unless `{ overwrite: true }`.
 */
export function registerEnv(
  id: string,
  entry: ((options?: Record<string, unknown>) => Env<any, any>) | Omit<EnvRegistration, 'id'>,
  opts: { overwrite?: boolean; family?: EnvFamily; description?: string; goal?: string } = {},
): void {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_.:/-]+$/.test(id)) throw new Error(`registerEnv: bad id ${JSON.stringify(id)} (letters, digits, _ . : / - only)`);
  if (registry.has(id) && !opts.overwrite) throw new Error(`registerEnv: id '${id}' is already registered (pass { overwrite: true } to replace it)`);
  const reg: EnvRegistration = typeof entry === 'function'
    ? { id, family: opts.family ?? 'games', description: opts.description ?? '', make: entry, ...(opts.goal ? { goal: opts.goal } : {}) }
    : { ...entry, id };
  registry.set(id, reg);
}

/** Registered ids with family, description and goal (when declared), sorted by id. */
export function listEnvs(): Array<{ id: string; family: EnvFamily; description: string; goal?: string }> {
  return [...registry.values()].map(({ id, family, description, goal }) => ({ id, family, description, ...(goal ? { goal } : {}) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * What a judge needs to know of a registered env (core's EnvContext: id, family, goal), read from its
 * registration; undefined for an id that is not registered. A run builds its context from the env's own
 * spec instead; this serves code that labels captions by env id without an env at hand.
 */
export function registeredEnvContext(id: string): EnvContext | undefined {
  const reg = registry.get(id);
  return reg ? { id, family: reg.family, ...(reg.goal ? { goal: reg.goal } : {}) } : undefined;
}

export function getEnvRegistration(id: string): EnvRegistration {
  const reg = registry.get(id);
  if (!reg) throw unknownId(id);
  return reg;
}

function unknownId(id: string): Error {
  return new Error(
    `unknown env id '${id}'. Registered ids: ${[...registry.keys()].sort().join(', ') || '(none)'}. ` +
      `Or pass a path to a module whose default export is an env factory, e.g. './my-env.ts'.`,
  );
}

/** Validated options (defaults filled) for a registered id, without making the env. */
export function validateEnvOptions(id: string, options?: Record<string, unknown>): Record<string, unknown> {
  const reg = getEnvRegistration(id);
  if (reg.validateOptions) return reg.validateOptions(options);
  return reg.make(options).spec.options;
}

/** Human-readable option docs of a registered id (for CLIs and errors). */
export function describeEnvOptions(id: string): string[] {
  return describeSchema(getEnvRegistration(id).optionSchema ?? {}).map((r) => `${r.key}: ${r.type}, default ${r.default} — ${r.doc}`);
}

/** True for strings that name a module file rather than a registered id. */
export function isEnvPath(idOrPath: string): boolean {
  return idOrPath.startsWith('./') || idOrPath.startsWith('../') || idOrPath.startsWith('file:') || isAbsolute(idOrPath) || /\.(m?[jt]s)$/.test(idOrPath);
}

/**
 * import() the module; where that cannot load TypeScript (in worker threads only tsx's require()
 * hook is active), fall back to require() — so env modules must not use top-level await.
 */
async function loadModule(url: string): Promise<Record<string, unknown>> {
  try {
    return await import(url);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' && !/Unknown file extension/.test(String(e?.message))) throw err;
    const req = createRequire(pathToFileURL(resolve(process.cwd(), 'noop.js')).href);
    return req(fileURLToPath(url)) as Record<string, unknown>;
  }
}

/** Makes a registered env synchronously. */
export function makeEnvSync<E extends Env<any, any> = Env<any, any>>(id: string, options?: Record<string, unknown>): E {
  const reg = registry.get(id);
  if (!reg) throw unknownId(id);
  return reg.make(options) as E;
}

/**
 * Makes an env from a registered id, or from a module path ('./my-env.ts', an absolute path, or a
 * file: URL; relative paths resolve against process.cwd()). The module's default export is either a
 * factory `(options) => Env` or a class `new (options) => Env`.
 */
export async function makeEnv<E extends Env<any, any> = Env<any, any>>(idOrPath: string, options?: Record<string, unknown>): Promise<E> {
  if (registry.has(idOrPath)) return makeEnvSync<E>(idOrPath, options);
  if (!isEnvPath(idOrPath)) throw unknownId(idOrPath);
  const url = idOrPath.startsWith('file:') ? idOrPath : pathToFileURL(resolve(process.cwd(), idOrPath)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await loadModule(url);
  } catch (err) {
    throw new Error(`could not load env module '${idOrPath}' (${url}): ${(err as Error).message}`);
  }
  const exported = mod.default;
  if (typeof exported !== 'function') {
    throw new Error(`env module '${idOrPath}' must have a default export that is an env factory (options) => Env or an Env class; found exports: ${Object.keys(mod).join(', ') || '(none)'}`);
  }
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exported));
  const env = (isClass ? new (exported as new (o: Record<string, unknown>) => Env<any, any>)(options ?? {}) : (exported as (o: Record<string, unknown>) => Env<any, any>)(options ?? {})) as E;
  for (const key of ['reset', 'step', 'close'] as const) {
    if (typeof (env as unknown as Record<string, unknown>)?.[key] !== 'function') throw new Error(`env module '${idOrPath}': the object its default export made has no ${key}() method`);
  }
  if (!env.observationSpace || !env.actionSpace) throw new Error(`env module '${idOrPath}': the env has no observationSpace/actionSpace`);
  // The family picks the policy and the actor loop, so it is declared by the env, never guessed.
  const family = (env.spec as Partial<EnvSpec> | undefined)?.family;
  if (!ENV_FAMILIES.includes(family as EnvFamily)) {
    throw new Error(`env module '${idOrPath}': the env must declare spec = { id, family, maxEpisodeSteps, options } with family one of ${ENV_FAMILIES.map((f) => `'${f}'`).join(', ')}; got spec.family ${JSON.stringify(family)}`);
  }
  return env;
}
