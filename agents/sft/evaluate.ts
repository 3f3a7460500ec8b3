/**
 * Roll a token policy out on text/tool envs and measure its success rate (e.g. greedy, on the held-out
 * 'test' split): agents/eval's batched rollout (one KV-cache sampler over all env instances), summed up.
 */
import * as tf from '@tensorflow/tfjs';
import type { TokenEnv } from '../../envs/index.ts';
import type { SamplerOptions, TokenPolicy } from '../policies/index.ts';
import { rolloutTokenEpisodes } from '../eval/rollout.ts';
import { exampleFromSegments, packExamples, type SftExample } from './data.ts';

export interface RolloutStats {
  episodes: number;
  successes: number;
  successRate: number;
  meanReward: number;
  /** The first few episodes: their final message and whether they succeeded. */
  samples: Array<{ seed: number; success: boolean; message: string }>;
  /** With `keepCompletions`: every episode's seed, completion (info.completion, trimmed) and success. */
  completions?: Array<{ seed: number; completion: string; success: boolean }>;
}

/**
 * Run `episodes` episodes with seeds seed0, seed0+1, … over the given env instances (one row each).
 * Defaults to greedy decoding.
 */
export function evaluateTokenPolicy(policy: TokenPolicy, envs: TokenEnv[], opts: { episodes: number; seed0?: number; sampling?: SamplerOptions; keepSamples?: number; keepCompletions?: boolean }): RolloutStats {
  if (envs.length === 0) throw new Error('evaluateTokenPolicy: needs at least one env');
  const seeds = Array.from({ length: opts.episodes }, (_, i) => (opts.seed0 ?? 0) + i);
  const out = seeds.length ? rolloutTokenEpisodes(policy, envs, seeds, opts.sampling ?? { greedy: true }) : [];
  const successes = out.filter((o) => o.success).length;
  const reward = out.reduce((a, o) => a + o.return, 0);
  return {
    episodes: out.length, successes, successRate: successes / Math.max(1, out.length), meanReward: reward / Math.max(1, out.length),
    samples: out.slice(0, opts.keepSamples ?? 5).map((o) => ({ seed: o.seed, success: o.success, message: o.message })),
    ...(opts.keepCompletions ? { completions: out.map((o) => ({ seed: o.seed, completion: (o.completion ?? '').trim(), success: o.success })) } : {}),
  };
}

/**
 * Exact log-probability of each continuation given its prompt under the policy (teacher forcing):
 * log π(c | x) = Σ_t log softmax(logits_t / T)[c_t], one forward per chunk of `chunk` sequences. The
 * continuation should end with eos when the episode does (then this is the probability of that exact
 * completion). Every position of the continuation counts (mask ignored). Returns float64 sums.
 */
export function continuationLogProbs(policy: TokenPolicy, examples: readonly SftExample[], opts: { temperature?: number; chunk?: number } = {}): Float64Array {
  const T = opts.temperature ?? 1;
  if (!(T > 0)) throw new Error(`continuationLogProbs: temperature must be > 0, got ${T}`);
  const chunk = opts.chunk ?? 64;
  const out = new Float64Array(examples.length);
  for (let i = 0; i < examples.length; i += chunk) {
    const part = examples.slice(i, i + chunk);
    const batch = packExamples(part as SftExample[], policy.config.padId);
    const lp = tf.tidy(() => {
      const { logits } = policy.evaluate({ tokens: batch.tokens, B: batch.B, T: batch.T, promptLength: batch.promptLength });
      const logp = tf.logSoftmax(T === 1 ? logits : logits.div(T));
      const oh = tf.oneHot(tf.tensor2d(batch.targets, [batch.B, batch.L], 'int32'), policy.numActions);
      return logp.mul(oh).sum(-1);
    });
    const v = lp.dataSync();
    lp.dispose();
    part.forEach((e, b) => {
      let s = 0;
      for (let t = 0; t < e.continuation.length; t++) s += v[b * batch.L + t]!;
      out[i + b] = s;
    });
  }
  return out;
}

/**
 * Probability the policy gives each listed correct answer (completion + eos) of the problems with reset
 * seeds `seeds`, exactly (teacher forcing, `continuationLogProbs`): mass[i][j] = π(answer j of problem i).
 * Needs an env whose `correctAnswers()` lists them (e.g. EitherSort-v0); null for a verifier-only task.
 */
export function correctAnswerMass(policy: TokenPolicy, env: TokenEnv, seeds: readonly number[], opts: { temperature?: number } = {}): number[][] | null {
  const list = (env as { correctAnswers?: () => string[] | null }).correctAnswers;
  if (typeof list !== 'function') return null;
  const examples: SftExample[] = [];
  const counts: number[] = [];
  for (const seed of seeds) {
    const prompt = Int32Array.from(env.reset({ seed }).obs);
    const answers = list.call(env);
    if (!answers) return null;
    counts.push(answers.length);
    for (const a of answers) examples.push(exampleFromSegments(prompt, [{ role: 'policy', text: a }], { eos: true }));
  }
  const lp = continuationLogProbs(policy, examples, opts);
  const out: number[][] = [];
  let k = 0;
  for (const n of counts) { out.push(Array.from(lp.subarray(k, k + n), Math.exp)); k += n; }
  return out;
}
