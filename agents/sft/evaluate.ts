/**
 * Roll a token policy out on text/tool envs and measure its success rate (e.g. greedy, on the held-out
 * 'test' split). Steps N envs together through one batched KV-cache sampler, the way actor threads do:
 * the env's observation is the whole context, so anything beyond the sampler's context (tool results)
 * is fed to the sampler before the next token.
 */
import type { TokenEnv } from '../../envs/index.ts';
import type { SamplerOptions, TokenPolicy } from '../policies/index.ts';

export interface RolloutStats {
  episodes: number;
  successes: number;
  successRate: number;
  meanReward: number;
  /** A few finished episodes: the completion text (from info) and whether it succeeded. */
  samples: Array<{ seed: number; success: boolean; message: string }>;
}

/**
 * Run `episodes` episodes with seeds seed0, seed0+1, … over the given env instances (one row each).
 * Defaults to greedy decoding.
 */
export function evaluateTokenPolicy(policy: TokenPolicy, envs: TokenEnv[], opts: { episodes: number; seed0?: number; sampling?: SamplerOptions; keepSamples?: number }): RolloutStats {
  const N = envs.length;
  if (N === 0) throw new Error('evaluateTokenPolicy: needs at least one env');
  const s = policy.sampler(N, opts.sampling ?? { greedy: true });
  let next = 0;
  let done = 0, successes = 0, reward = 0;
  const seeds = new Array<number>(N).fill(-1);
  const epReward = new Array<number>(N).fill(0);
  const samples: RolloutStats['samples'] = [];
  const start = (r: number) => {
    if (next >= opts.episodes) { s.deactivate(r); return; }
    seeds[r] = (opts.seed0 ?? 0) + next++;
    const { obs } = envs[r]!.reset({ seed: seeds[r] });
    s.reset(r, obs);
    epReward[r] = 0;
  };
  for (let r = 0; r < N; r++) start(r);
  while (done < opts.episodes) {
    const out = s.sample();
    for (const r of out.rows) {
      const st = envs[r]!.step(out.tokens[r]!);
      epReward[r]! += st.reward;
      if (st.terminated || st.truncated) {
        done++;
        reward += epReward[r]!;
        if (st.info.success) successes++;
        if (samples.length < (opts.keepSamples ?? 5)) samples.push({ seed: seeds[r]!, success: !!st.info.success, message: st.info.message });
        start(r);
        continue;
      }
      const have = s.context(r).length;
      if (st.obs.length > have) s.feed(r, st.obs.slice(have));
    }
  }
  return { episodes: done, successes, successRate: successes / Math.max(1, done), meanReward: reward / Math.max(1, done), samples };
}
