/**
 * What `npm run eval` evaluates, from a path:
 *   a run directory         runs/<name>-<time>/: its newest checkpoint, env and options from its config.json
 *   a checkpoint directory  …/checkpoints/ckpt-NNNNNNNN/ (its run directory is two levels up)
 *   a .safetensors file     a checkpoint's policy.safetensors (run found the same way), or a stand-alone
 *                           policy file (e.g. a warm start from scripts/warmstart.ts): the policy from its
 *                           'thrive.policy' metadata, the env from its 'thrive.warmstart.env' metadata or --env
 * The policy is rebuilt from the safetensors metadata when it has the policy config, else from the run's
 * config.json `policy` section (runner checkpoints store bare weights).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { createPolicy, decodeSafetensors, policyFromWeights, type AnyPolicy, type PolicyConfigInput } from '../../agents/index.ts';
import { isEnvPath } from '../../envs/index.ts';
import { isPlainObject } from '../../core/schema.ts';
import { latestCheckpoint } from '../checkpoint.ts';

export interface EvalTarget {
  /** The path as given. */
  path: string;
  /** The run directory, when the target belongs to one. */
  runDir: string | null;
  /** The safetensors file the weights came from. */
  weightsFile: string;
  /** The checkpoint's weight version (ckpt-NNNNNNNN), or null for a stand-alone file. */
  version: number | null;
  /** The env as makeEnv must load it (a path made absolute). */
  envId: string;
  /** The env options the run used (the run's config.json), before any split override. */
  envOptions: Record<string, unknown>;
  /** The run's sampling temperature (learner.temperature); 1 without a run. */
  temperature: number;
  policy: AnyPolicy;
}

export interface TargetOverrides {
  /** Another env id or path than the run's. */
  env?: string;
  /** Env options merged over the run's. */
  options?: Record<string, unknown>;
}

const CKPT = /^ckpt-(\d{8})$/;

function readConfig(runDir: string): Record<string, unknown> {
  const file = join(runDir, 'config.json');
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isPlainObject(c)) throw new Error('not a JSON object');
    return c;
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The run directory holding checkpoint directory `ckptDir` (…/run/checkpoints/ckpt-N), if it is one. */
function runOfCheckpoint(ckptDir: string): string | null {
  const run = dirname(dirname(ckptDir));
  return basename(dirname(ckptDir)) === 'checkpoints' && existsSync(join(run, 'config.json')) ? run : null;
}

/** Finds the run directory, weights file and version behind `path`. */
function locate(path: string): { runDir: string | null; weightsFile: string; version: number | null } {
  if (!existsSync(path)) throw new Error(`'${path}' does not exist: give a run directory, a checkpoint directory (…/checkpoints/ckpt-NNNNNNNN) or a .safetensors file`);
  const abs = resolve(path);
  if (statSync(abs).isDirectory()) {
    if (existsSync(join(abs, 'config.json'))) {
      const ck = latestCheckpoint(join(abs, 'checkpoints'));
      if (!ck) throw new Error(`run directory '${path}' has no complete checkpoint under checkpoints/ (the run wrote none yet)`);
      return { runDir: abs, weightsFile: join(ck, 'policy.safetensors'), version: Number(CKPT.exec(basename(ck))![1]) };
    }
    const m = CKPT.exec(basename(abs));
    if (m) {
      const file = join(abs, 'policy.safetensors');
      if (!existsSync(file)) throw new Error(`checkpoint '${path}' is incomplete: policy.safetensors is missing`);
      return { runDir: runOfCheckpoint(abs), weightsFile: file, version: Number(m[1]) };
    }
    throw new Error(`'${path}' is a directory but neither a run directory (no config.json) nor a checkpoint directory (ckpt-NNNNNNNN)`);
  }
  if (!abs.endsWith('.safetensors')) throw new Error(`'${path}' is not a .safetensors file, a run directory or a checkpoint directory`);
  const m = CKPT.exec(basename(dirname(abs)));
  return m ? { runDir: runOfCheckpoint(dirname(abs)), weightsFile: abs, version: Number(m[1]) } : { runDir: null, weightsFile: abs, version: null };
}

/** A relative env path from a config resolves against the current directory; say so when it is not there. */
function envRef(id: string, from: string): string {
  if (!isEnvPath(id) || id.startsWith('file:') || isAbsolute(id)) return id;
  const abs = resolve(process.cwd(), id);
  if (!existsSync(abs)) throw new Error(`env '${id}' (${from}) is a path that does not exist from the current directory ${process.cwd()}: run from the directory the run was started in, or pass --env PATH`);
  return abs;
}

export function loadEvalTarget(path: string, over: TargetOverrides = {}): EvalTarget {
  const { runDir, weightsFile, version } = locate(path);
  const config = runDir ? readConfig(runDir) : null;
  const { weights, metadata } = decodeSafetensors(new Uint8Array(readFileSync(weightsFile)), weightsFile);

  let envId: string;
  let envOptions: Record<string, unknown> = {};
  let from: string;
  const env = config?.env as { id?: unknown; options?: unknown } | undefined;
  if (over.env) {
    envId = over.env;
    from = '--env';
    if (env && env.id === over.env && isPlainObject(env.options)) envOptions = { ...env.options };
  } else if (env && typeof env.id === 'string') {
    envId = env.id;
    from = `${join(runDir!, 'config.json')} env.id`;
    if (isPlainObject(env.options)) envOptions = { ...env.options };
  } else if (metadata['thrive.warmstart.env']) {
    envId = metadata['thrive.warmstart.env'];
    from = `${weightsFile} metadata 'thrive.warmstart.env'`;
    try { envOptions = JSON.parse(metadata['thrive.warmstart.envOptions'] ?? '{}') as Record<string, unknown>; } catch { envOptions = {}; }
  } else {
    throw new Error(`'${path}' names no env: it belongs to no run directory and its metadata has no 'thrive.warmstart.env'; pass --env ID|PATH`);
  }
  envOptions = { ...envOptions, ...(over.options ?? {}) };

  let policy: AnyPolicy;
  if (metadata['thrive.policy']) {
    policy = policyFromWeights(weights, metadata, `'${weightsFile}'`);
  } else {
    const section = config?.policy;
    if (!isPlainObject(section)) throw new Error(`'${weightsFile}' has no 'thrive.policy' metadata and no run config.json with a policy section to rebuild the policy from`);
    const { checkpoint: _warm, ...cfg } = section;
    policy = createPolicy(cfg as unknown as PolicyConfigInput);
    try {
      policy.setWeights(weights);
    } catch (err) {
      policy.dispose();
      throw new Error(`'${weightsFile}': ${(err as Error).message} (the weights do not fit the policy of ${join(runDir!, 'config.json')})`);
    }
  }
  const learner = config?.learner as { temperature?: unknown } | undefined;
  const temperature = typeof learner?.temperature === 'number' ? learner.temperature : 1;
  return { path, runDir, weightsFile, version, envId: envRef(envId, from), envOptions, temperature, policy };
}
