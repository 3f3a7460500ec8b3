/**
 * Evaluation rollouts: run one episode per job (a reset seed) over a fixed set of env instances, all rows
 * stepped together — one batched policy call per step, the way actor threads do — and return one outcome
 * per job, in job order. A row whose episode ends takes the next job at once (no waiting for the others).
 *
 *   rolloutTokenEpisodes: text and tool envs, through one TokenPolicy sampler (KV cache); whatever the env
 *     appends beyond the policy's token (tool results) is fed to the sampler before the next token.
 *   rolloutGameEpisodes: game envs (Box observations, Discrete actions), through GamePolicy.act.
 *
 * Nothing here trains: these are the measurements behind scripts/eval.ts and the SFT warm start's checks.
 */
import type { Env, TokenEnv } from '../../envs/index.ts';
import type { GamePolicy } from '../policies/game.ts';
import { makeRng } from '../policies/rng.ts';
import type { SamplerOptions } from '../policies/token-sampler.ts';
import type { TokenPolicy } from '../policies/token.ts';

export interface EpisodeOutcome {
  /** The job's reset seed. */
  seed: number;
  /** info.success on the last step. */
  success: boolean;
  /** Sum of the env's rewards. */
  return: number;
  /** Policy actions taken (tokens written, moves made). */
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** The last step's info.rewardComponents (text and tool envs), when the env gives them. */
  components?: Record<string, number>;
  /** The last step's info.message. */
  message: string;
  /** The last step's info.completion (text and tool envs: what the policy wrote), when the env gives it. */
  completion?: string;
}

function check(rows: number, jobs: number, who: string): void {
  if (rows === 0) throw new Error(`${who}: needs at least one env instance`);
  if (jobs === 0) throw new Error(`${who}: no episodes to run`);
}

function finish(seed: number, ret: number, length: number, st: { terminated: boolean; truncated: boolean; info: { success?: boolean; message?: string; rewardComponents?: unknown; completion?: unknown } }, cut = false): EpisodeOutcome {
  const comps = st.info.rewardComponents;
  return {
    seed, success: st.info.success === true, return: ret, length, terminated: st.terminated, truncated: st.truncated || cut,
    ...(comps && typeof comps === 'object' ? { components: { ...(comps as Record<string, number>) } } : {}),
    message: typeof st.info.message === 'string' ? st.info.message : '',
    ...(typeof st.info.completion === 'string' ? { completion: st.info.completion } : {}),
  };
}

/** One episode per seed of `seeds` on text/tool envs; `sampling` as TokenPolicy.sampler's (default greedy). */
export function rolloutTokenEpisodes(policy: TokenPolicy, envs: TokenEnv[], seeds: readonly number[], sampling: SamplerOptions = { greedy: true }): EpisodeOutcome[] {
  check(envs.length, seeds.length, 'rolloutTokenEpisodes');
  const N = Math.min(envs.length, seeds.length);
  const s = policy.sampler(N, sampling);
  const out = new Array<EpisodeOutcome>(seeds.length);
  const job = new Int32Array(N).fill(-1);
  const ret = new Float64Array(N);
  const len = new Int32Array(N);
  let next = 0;
  let done = 0;
  const start = (r: number) => {
    if (next >= seeds.length) { job[r] = -1; s.deactivate(r); return; }
    job[r] = next++;
    ret[r] = 0;
    len[r] = 0;
    s.reset(r, envs[r]!.reset({ seed: seeds[job[r]!]! }).obs);
  };
  for (let r = 0; r < N; r++) start(r);
  while (done < seeds.length) {
    const o = s.sample();
    for (const r of o.rows) {
      const st = envs[r]!.step(o.tokens[r]!);
      ret[r]! += st.reward;
      len[r]!++;
      if (st.terminated || st.truncated) {
        out[job[r]!] = finish(seeds[job[r]!]!, ret[r]!, len[r]!, st);
        done++;
        start(r);
        continue;
      }
      const have = s.context(r).length;
      if (st.obs.length > have) s.feed(r, st.obs.slice(have));
    }
  }
  return out;
}

export interface GameRolloutOptions {
  /** argmax actions instead of sampling. */
  greedy?: boolean;
  /** Sample from softmax(logits / T). Default 1. */
  temperature?: number;
  /** Seed of the sampling stream. Default 0. */
  seed?: number;
}

/**
 * One episode per seed of `seeds` on game envs. An episode that reaches the env's spec.maxEpisodeSteps
 * without ending is cut there and counted as truncated (the actors do the same).
 */
export function rolloutGameEpisodes(policy: GamePolicy, envs: Array<Env<Float32Array, number>>, seeds: readonly number[], opts: GameRolloutOptions = {}): EpisodeOutcome[] {
  check(envs.length, seeds.length, 'rolloutGameEpisodes');
  const N = Math.min(envs.length, seeds.length);
  const D = policy.obsDim;
  const rng = makeRng(opts.seed ?? 0);
  const out = new Array<EpisodeOutcome>(seeds.length);
  const cur = new Float32Array(N * D);
  const batch = new Float32Array(N * D);
  const job = new Int32Array(N).fill(-1);
  const ret = new Float64Array(N);
  const len = new Int32Array(N);
  const idx: number[] = [];
  let next = 0;
  let done = 0;
  const start = (r: number) => {
    if (next >= seeds.length) { job[r] = -1; return; }
    job[r] = next++;
    ret[r] = 0;
    len[r] = 0;
    const obs = envs[r]!.reset({ seed: seeds[job[r]!]! }).obs;
    if (obs.length !== D) throw new Error(`env '${envs[r]!.spec.id}' gave an observation of ${obs.length} values; the policy expects obsShape [${policy.config.obsShape}] (${D} values)`);
    cur.set(obs, r * D);
  };
  for (let r = 0; r < N; r++) start(r);
  while (done < seeds.length) {
    idx.length = 0;
    for (let r = 0; r < N; r++) if (job[r]! >= 0) idx.push(r);
    const k = idx.length;
    if (k < N) for (let j = 0; j < k; j++) batch.set(cur.subarray(idx[j]! * D, (idx[j]! + 1) * D), j * D);
    const { actions } = policy.act(k < N ? batch.subarray(0, k * D) : cur, k, { greedy: opts.greedy ?? false, temperature: opts.temperature ?? 1, rng, hidden: false });
    for (let j = 0; j < k; j++) {
      const r = idx[j]!;
      const env = envs[r]!;
      const st = env.step(actions[j]!);
      ret[r]! += st.reward;
      len[r]!++;
      const cut = !st.terminated && !st.truncated && len[r]! >= Math.max(1, env.spec.maxEpisodeSteps);
      if (st.terminated || st.truncated || cut) {
        out[job[r]!] = finish(seeds[job[r]!]!, ret[r]!, len[r]!, st, cut);
        done++;
        start(r);
      } else {
        cur.set(st.obs, r * D);
      }
    }
  }
  return out;
}
