/**
 * Demonstrations → token sequences for supervised warm starts. A text/tool env's reset() observation is
 * the prompt ([bos, prompt…]); `demonstrate()` returns the correct continuation as segments, `policy`
 * ones (the model must write them) and `env` ones (inserted by the env, e.g. tool results). Only policy
 * tokens are trained on. Text envs end an episode when the policy writes eos, so their demonstrations
 * are closed with eos; tool envs end at </answer>, so theirs are not (option `eos` overrides).
 */
import { mulberry32 } from '../../core/rng.ts';
import { defaultTokenizer, type DemoSegment, type Env, type TokenEnv, type CharTokenizer } from '../../envs/index.ts';

export interface SftExample {
  /** Prompt ids, exactly as the env's reset() observation. */
  prompt: Int32Array;
  /** Continuation ids (policy and env tokens in order). */
  continuation: Int32Array;
  /** [continuation.length] 1 where the policy wrote the token (trained on), 0 for env-inserted tokens. */
  mask: Uint8Array;
}

/** Encode demonstration segments after a prompt. */
export function exampleFromSegments(prompt: ArrayLike<number>, segments: DemoSegment[], opts: { eos?: boolean; tokenizer?: CharTokenizer } = {}): SftExample {
  const tok = opts.tokenizer ?? defaultTokenizer;
  const ids: number[] = [];
  const mask: number[] = [];
  for (const seg of segments) {
    if (seg.role !== 'policy' && seg.role !== 'env') throw new Error(`demonstration segment role ${JSON.stringify(seg.role)} is not valid; valid: 'policy', 'env'`);
    const enc = tok.encode(seg.text);
    for (const id of enc) { ids.push(id); mask.push(seg.role === 'policy' ? 1 : 0); }
  }
  if (opts.eos ?? true) { ids.push(tok.eos); mask.push(1); }
  if (!mask.some((m) => m === 1)) throw new Error('demonstration has no policy tokens to train on');
  return { prompt: Int32Array.from(prompt), continuation: Int32Array.from(ids), mask: Uint8Array.from(mask) };
}

/**
 * Throws unless `env` can give SFT demonstrations: a text or tool env (token actions) with a
 * `demonstrate()` method returning the current episode's correct solution.
 */
export function assertDemonstrable(env: Env<any, any>, name = env.spec?.id ?? '?'): asserts env is TokenEnv {
  const family = env.spec?.family;
  if (family !== 'text' && family !== 'tools') {
    throw new Error(`env '${name}' is a ${String(family)} env: an SFT warm start trains a token policy on the demonstrations of a text or tool env (family 'text' or 'tools')`);
  }
  if (typeof (env as Partial<TokenEnv>).demonstrate !== 'function') {
    throw new Error(`env '${name}' has no demonstrate() method: an SFT warm start learns from demonstrations, so the env must implement demonstrate(), returning the current episode's correct solution as segments [{ role: 'policy' | 'env', text }] (docs/environments.md)`);
  }
}

/**
 * Draw `count` demonstrations from an env, episode seeds seed0, seed0+1, …. eos: default for 'text' envs only.
 * `answerWeights` (text tasks with several listed answers, e.g. EitherSort-v0): each demonstration is the
 * env's i-th correct answer with probability answerWeights[i] (normalised; seeded by seed0), instead of the
 * env's own demonstration — a warm start that favours one correct answer over another.
 */
export function collectDemonstrations(env: TokenEnv, count: number, seed0 = 0, opts: { eos?: boolean; answerWeights?: readonly number[] } = {}): SftExample[] {
  const eos = opts.eos ?? env.spec.family === 'text';
  assertDemonstrable(env);
  const w = opts.answerWeights;
  const listAnswers = (env as { correctAnswers?: () => string[] | null }).correctAnswers;
  if (w && (typeof listAnswers !== 'function' || w.some((x) => !(x >= 0)) || !(w.reduce((a, b) => a + b, 0) > 0))) {
    throw new Error(`collectDemonstrations: answerWeights ${JSON.stringify(w)} needs non-negative weights with a positive sum and an env with correctAnswers() (${env.spec?.id ?? '?'})`);
  }
  const next = mulberry32(seed0 ^ 0x5eed);
  const out: SftExample[] = [];
  for (let i = 0; i < count; i++) {
    const { obs } = env.reset({ seed: seed0 + i });
    const prompt = Int32Array.from(obs);
    let segments = env.demonstrate();
    if (w) {
      const answers = listAnswers!.call(env);
      if (!answers || answers.length !== w.length) throw new Error(`collectDemonstrations: ${env.spec.id} lists ${answers ? answers.length : 'no'} correct answers, answerWeights has ${w.length}`);
      let u = next() * w.reduce((a, b) => a + b, 0), j = 0;
      while (j < w.length - 1 && u >= w[j]) u -= w[j++];
      segments = [{ role: 'policy', text: answers[j] }];
    }
    out.push(exampleFromSegments(prompt, segments, { eos }));
  }
  return out;
}

/**
 * Pack examples into the learner's token layout: prompts LEFT-padded to P = the longest prompt,
 * continuations RIGHT-padded to L, T = P + L. `mask` [B*L] marks policy tokens.
 */
export function packExamples(examples: SftExample[], padId = defaultTokenizer.pad): { tokens: Int32Array; B: number; T: number; promptLength: number; L: number; targets: Int32Array; mask: Float32Array } {
  const B = examples.length;
  if (B === 0) throw new Error('packExamples: no examples');
  const P = Math.max(...examples.map((e) => e.prompt.length));
  const L = Math.max(...examples.map((e) => e.continuation.length));
  const T = P + L;
  const tokens = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * L);
  const mask = new Float32Array(B * L);
  examples.forEach((e, b) => {
    tokens.set(e.prompt, b * T + P - e.prompt.length);
    tokens.set(e.continuation, b * T + P);
    targets.set(e.continuation, b * L);
    for (let t = 0; t < e.continuation.length; t++) mask[b * L + t] = e.mask[t]!;
  });
  return { tokens, B, T, promptLength: P, L, targets, mask };
}
