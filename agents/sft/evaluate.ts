/**
 * Roll a token policy out on text/tool envs and measure its success rate (e.g. greedy, on the held-out
 * 'test' split): agents/eval's batched rollout (one KV-cache sampler over all env instances), summed up.
 */
import type { TokenEnv } from '../../envs/index.ts';
import type { SamplerOptions, TokenPolicy } from '../policies/index.ts';
import { rolloutTokenEpisodes } from '../eval/rollout.ts';

export interface RolloutStats {
  episodes: number;
  successes: number;
  successRate: number;
  meanReward: number;
  /** The first few episodes: their final message and whether they succeeded. */
  samples: Array<{ seed: number; success: boolean; message: string }>;
}

/**
 * Run `episodes` episodes with seeds seed0, seed0+1, … over the given env instances (one row each).
 * Defaults to greedy decoding.
 */
export function evaluateTokenPolicy(policy: TokenPolicy, envs: TokenEnv[], opts: { episodes: number; seed0?: number; sampling?: SamplerOptions; keepSamples?: number }): RolloutStats {
  if (envs.length === 0) throw new Error('evaluateTokenPolicy: needs at least one env');
  const seeds = Array.from({ length: opts.episodes }, (_, i) => (opts.seed0 ?? 0) + i);
  const out = seeds.length ? rolloutTokenEpisodes(policy, envs, seeds, opts.sampling ?? { greedy: true }) : [];
  const successes = out.filter((o) => o.success).length;
  const reward = out.reduce((a, o) => a + o.return, 0);
  return {
    episodes: out.length, successes, successRate: successes / Math.max(1, out.length), meanReward: reward / Math.max(1, out.length),
    samples: out.slice(0, opts.keepSamples ?? 5).map((o) => ({ seed: o.seed, success: o.success, message: o.message })),
  };
}
