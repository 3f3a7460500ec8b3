/**
 * Evaluating a policy on an env's held-out problems: problem p is the episode reset with seed p
 * (p = 0 … episodes−1) of the chosen split (built-in envs draw seeds until the problem belongs to the
 * split, so these are held-out problems/levels). Two passes, each optional:
 *   greedy   one argmax episode per problem
 *   sampled  `samples` episodes per problem at temperature T (default: the run's learner.temperature);
 *            with samples ≥ 2 also pass@k for k = 1, 2, 4, …, samples (Chen et al. 2021's unbiased estimator)
 * Text and tool envs always get the greedy pass (and the sampled one with samples ≥ 1); games get one
 * sampled episode per level (they are trained by sampling), or the greedy pass with `greedy`, or both.
 * Every episode of a pass runs in one batched rollout over `envs` env instances (agents/eval).
 */
import { GamePolicy, TokenPolicy, passAtKCurve, passAtKs, rolloutGameEpisodes, rolloutTokenEpisodes, wilsonInterval, type EpisodeOutcome } from '../../agents/index.ts';
import { makeEnv, type Env, type EnvFamily, type TokenEnv } from '../../envs/index.ts';
import { ConfigError, parse } from '../../core/schema.ts';
import { EVAL_OPTIONS, type EvalOptions, type EvalOptionsInput } from './options.ts';
import type { EvalTarget } from './target.ts';


export interface PassResult {
  mode: 'greedy' | 'sampled';
  /** Sampling temperature (null for greedy). */
  temperature: number | null;
  problems: number;
  samplesPerProblem: number;
  episodes: number;
  successes: number;
  successRate: number;
  /** Wilson 95% interval of the success rate over the pass's episodes (treated as independent). */
  successCi95: [number, number];
  returnMean: number;
  returnStd: number;
  lengthMean: number;
  /** Fraction of episodes cut by a limit (step budget, context) rather than ended by the task. */
  truncatedRate: number;
  /** Mean of each info.rewardComponents entry (text and tool envs), over the episodes that report it. */
  components: Record<string, number>;
  /** Sampled pass with samples ≥ 2: mean pass@k over problems, by k. */
  passAtK?: Record<string, number>;
  seconds: number;
}

export interface EvalResult {
  /** The path as given. */
  target: string;
  runDir: string | null;
  weightsFile: string;
  version: number | null;
  env: string;
  family: EnvFamily;
  /** The options the env was made with (the split included). */
  envOptions: Record<string, unknown>;
  /** The split evaluated, or null when the env has none (one problem set). */
  split: 'train' | 'test' | null;
  passes: PassResult[];
}

function summarise(mode: PassResult['mode'], temperature: number | null, problems: number, K: number, out: EpisodeOutcome[], seconds: number): PassResult {
  const n = out.length;
  const successes = out.filter((o) => o.success).length;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const ret = out.map((o) => o.return);
  const rm = mean(ret);
  const comps: Record<string, number[]> = {};
  for (const o of out) for (const [k, v] of Object.entries(o.components ?? {})) if (typeof v === 'number') (comps[k] ??= []).push(v);
  const r: PassResult = {
    mode, temperature, problems, samplesPerProblem: K, episodes: n, successes, successRate: successes / Math.max(1, n),
    successCi95: wilsonInterval(successes, n),
    returnMean: rm, returnStd: Math.sqrt(mean(ret.map((x) => (x - rm) ** 2))),
    lengthMean: mean(out.map((o) => o.length)), truncatedRate: out.filter((o) => o.truncated).length / Math.max(1, n),
    components: Object.fromEntries(Object.entries(comps).map(([k, v]) => [k, mean(v)])),
    seconds,
  };
  if (mode === 'sampled' && K >= 2) {
    const correct = new Array<number>(problems).fill(0);
    out.forEach((o, j) => { if (o.success) correct[Math.floor(j / K)]!++; });
    r.passAtK = passAtKCurve(correct, K, passAtKs(K));
  }
  return r;
}

/** Validated options (defaults filled; bad values name the key). */
export function validateEvalOptions(partial: EvalOptionsInput | Record<string, unknown> = {}, path = ''): EvalOptions {
  return parse(EVAL_OPTIONS, partial, path);
}

/**
 * Evaluates `target`'s policy. `explicitSplit`: the caller asked for the split (an env without one is then
 * an error rather than a note).
 */
export async function evaluateTarget(target: EvalTarget, partial: EvalOptionsInput = {}, explicitSplit = false): Promise<EvalResult> {
  const o = validateEvalOptions(partial);
  const probe = await makeEnv(target.envId, target.envOptions);
  const family = probe.spec.family;
  const hasSplit = 'split' in (probe.spec.options ?? {});
  probe.close();
  if (!hasSplit && explicitSplit) throw new ConfigError(`--split ${o.split}: env '${target.envId}' has no 'split' option (one problem set only); leave --split out to evaluate on it`);
  const envOptions = hasSplit ? { ...target.envOptions, split: o.split } : { ...target.envOptions };
  const { policy } = target;
  if (family === 'games' && !(policy instanceof GamePolicy)) throw new Error(`env '${target.envId}' is a game: it needs a game policy, but '${target.weightsFile}' holds a ${policy.kind} policy`);
  if (family !== 'games' && !(policy instanceof TokenPolicy)) throw new Error(`env '${target.envId}' is a ${family} env: it needs a token policy, but '${target.weightsFile}' holds a ${policy.kind} policy`);

  // Text/tools: always the greedy pass (+ the sampled one with --samples). Games: one sampled episode per
  // level unless --greedy or --samples say otherwise.
  const greedy = family !== 'games' || o.greedy;
  const K = o.samples > 0 ? o.samples : family === 'games' && !o.greedy ? 1 : 0;
  const T = o.temperature ?? target.temperature;
  const P = o.episodes;
  const width = Math.min(o.envs, Math.max(greedy ? P : 0, P * K));
  const envs: Env[] = [];
  for (let i = 0; i < width; i++) envs.push(await makeEnv(target.envId, envOptions));
  const run = (seeds: number[], sampled: boolean): EpisodeOutcome[] => policy instanceof GamePolicy
    ? rolloutGameEpisodes(policy, envs as Array<Env<Float32Array, number>>, seeds, sampled ? { temperature: T, seed: o.seed } : { greedy: true })
    : rolloutTokenEpisodes(policy as TokenPolicy, envs as TokenEnv[], seeds, sampled ? { temperature: T, seed: o.seed } : { greedy: true });
  const passes: PassResult[] = [];
  try {
    const problems = Array.from({ length: P }, (_, p) => p);
    if (greedy) {
      const t0 = performance.now();
      passes.push(summarise('greedy', null, P, 1, run(problems, false), (performance.now() - t0) / 1000));
    }
    if (K > 0) {
      const t0 = performance.now();
      passes.push(summarise('sampled', T, P, K, run(problems.flatMap((p) => new Array<number>(K).fill(p)), true), (performance.now() - t0) / 1000));
    }
  } finally {
    for (const e of envs) e.close();
  }
  return {
    target: target.path, runDir: target.runDir, weightsFile: target.weightsFile, version: target.version,
    env: target.envId, family, envOptions, split: hasSplit ? o.split : null, passes,
  };
}
