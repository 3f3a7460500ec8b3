/**
 * The token policy: a small decoder-only causal transformer (GPT-2 layout: Radford et al. 2019, "Language
 * Models are Unsupervised Multitask Learners"; pre-LayerNorm blocks, learned absolute positions, GELU MLP)
 * over the character tokenizer the text and tool envs share (envs/ `defaultTokenizer`, vocab 100, pad 0).
 *
 *   x_0   = E[token] + P[position]                      (embeddings as one-hot × matrix: wasm has no
 *                                                          gradient for tf.gather)
 *   x_l+1 = x_l + Attn(LN(x_l));  x_l+1 += MLP(LN(x_l+1))  (causal multi-head attention; pads masked as keys)
 *   h     = LN_f(x_L);  logits = h W                      (W: the unembedding matrix THR reads; no bias)
 *
 * `evaluate` is the learner's teacher-forced forward (tfjs, differentiable). Actors sample through
 * `sampler()` (token-sampler.ts): an incremental decoder with a per-row KV cache in plain TypeScript
 * over the same weights, checked against `evaluate` by test/agents/token-policy.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedWeights, PolicyOutputs, TrainablePolicy } from '../types.ts';
import { ConfigError, joinKey, parse, type Infer, type Input, type Schema } from '../../core/schema.ts';
import { MAX_POLICY_PARAMETERS } from './size.ts';
import { gelu, layerNorm, linear, recording } from './ops.ts';
import { BLOCK_PARAMS, transformerBlock } from './block.ts';
import { ParamStore } from './params.ts';
import { makeRng } from './rng.ts';
import { SamplerProducts, TokenSampler, type SamplerOptions } from './token-sampler.ts';

/** The token policy's options (the experiment's `policy` section for text and tool envs). */
export const TOKEN_POLICY_OPTIONS = {
  kind: { type: 'enum', values: ['token'], default: 'token', doc: "The policy class: 'token' (this one) or 'game' (game.ts)." },
  vocabSize: { type: 'int', default: 100, min: 2, doc: "Vocabulary size V: envs' `defaultTokenizer` (character level) has 100." },
  padId: { type: 'int', default: 0, min: 0, doc: 'Id of the pad token, masked out of attention as a key (`defaultTokenizer.pad` is 0).' },
  layers: { type: 'int', default: 2, min: 1, max: 64, doc: 'Number of transformer blocks.' },
  width: { type: 'int', default: 64, min: 1, max: 8192, doc: 'Model width d (also `hiddenSize`, the THR h).' },
  heads: { type: 'int', default: 4, min: 1, max: 256, doc: 'Attention heads; must divide `width`.' },
  context: { type: 'int', default: 128, min: 2, max: 65536, doc: 'Maximum sequence length (learned positions).' },
  mlpRatio: { type: 'int', default: 4, min: 1, max: 16, doc: 'MLP hidden width as a multiple of `width` (GPT-2: 4).' },
  layerNormEps: { type: 'number', default: 1e-5, min: 0, exclusiveMin: true, max: 1, doc: 'LayerNorm epsilon (GPT-2 / PyTorch: 1e-5).' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, max: 10, doc: 'Std of the normal initialisation; residual projections get std/√(2·layers) (GPT-2).' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, doc: 'Seed of the weight initialisation and of the default sampling RNG.' },
} as const satisfies Schema;

export type TokenPolicyConfig = Infer<typeof TOKEN_POLICY_OPTIONS>;
export type TokenPolicyConfigInput = Input<typeof TOKEN_POLICY_OPTIONS>;

/** Parameters of a token policy with this config (the tensors the constructor adds, counted). */
export function tokenPolicyParameterCount(c: Pick<TokenPolicyConfig, 'vocabSize' | 'layers' | 'width' | 'context' | 'mlpRatio'>): number {
  const { vocabSize: V, width: d, layers, context, mlpRatio: r } = c;
  const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * r * d + r * d) + (r * d * d + d);
  return V * d + context * d + layers * block + 2 * d + d * V;
}

/** Validate a partial token-policy config and fill defaults; `path` is its key in the experiment config. */
export function validateTokenPolicyConfig(partial: TokenPolicyConfigInput | Record<string, unknown> = {}, path = 'policy'): TokenPolicyConfig {
  const c = parse(TOKEN_POLICY_OPTIONS, partial, path);
  const key = (k: string) => `'${joinKey(path, k)}'`;
  if (c.padId >= c.vocabSize) throw new ConfigError(`config key ${key('padId')} must be < ${key('vocabSize')} (${c.vocabSize}), got ${c.padId}`);
  if (c.width % c.heads !== 0) throw new ConfigError(`config key ${key('heads')} must divide ${key('width')} (${c.width}), got ${c.heads}`);
  const params = tokenPolicyParameterCount(c);
  if (params > MAX_POLICY_PARAMETERS) {
    throw new ConfigError(`config keys ${key('width')} ${c.width}, ${key('layers')} ${c.layers}, ${key('context')} ${c.context}, ${key('vocabSize')} ${c.vocabSize} make a token policy of ${params.toLocaleString('en-US')} parameters; the limit is ${MAX_POLICY_PARAMETERS.toLocaleString('en-US')} (MAX_POLICY_PARAMETERS, agents/policies/size.ts)`);
  }
  return c;
}

/**
 * Learner-side input: B sequences of T tokens. Prompts are LEFT-padded to `promptLength` P; continuations
 * are RIGHT-padded, so L = T − P and logits[b, t] predicts tokens[b, P + t].
 */
export interface TokenInputs {
  tokens: Int32Array;
  B: number;
  T: number;
  promptLength: number;
}

export class TokenPolicy implements TrainablePolicy<TokenInputs> {
  readonly kind = 'token' as const;
  readonly config: TokenPolicyConfig;
  readonly numActions: number;
  readonly hiddenSize: number;
  /** @internal the parameters; the sampler reads their Float32Array mirror. */
  readonly params: ParamStore;
  private productsCache?: SamplerProducts;

  /** @internal the samplers' tfjs products over this policy's weights (shared by every sampler of the policy). */
  get products(): SamplerProducts {
    return (this.productsCache ??= new SamplerProducts(this.params.vars));
  }

  constructor(config: TokenPolicyConfigInput = {}) {
    this.config = validateTokenPolicyConfig(config);
    const { vocabSize: V, width: d, layers, context, mlpRatio, initStd } = this.config;
    this.numActions = V;
    this.hiddenSize = d;
    const p = (this.params = new ParamStore('TokenPolicy', makeRng(this.config.seed)));
    const std = { kind: 'normal', std: initStd } as const;
    const resid = { kind: 'normal', std: initStd / Math.sqrt(2 * layers) } as const;
    p.add('tok_emb', [V, d], std);
    p.add('pos_emb', [context, d], { kind: 'normal', std: initStd / 2 });
    for (let l = 0; l < layers; l++) {
      p.add(`h${l}.ln1.g`, [d], { kind: 'ones' });
      p.add(`h${l}.ln1.b`, [d], { kind: 'zeros' });
      p.add(`h${l}.attn.qkv.w`, [d, 3 * d], std);
      p.add(`h${l}.attn.qkv.b`, [3 * d], { kind: 'zeros' });
      p.add(`h${l}.attn.proj.w`, [d, d], resid);
      p.add(`h${l}.attn.proj.b`, [d], { kind: 'zeros' });
      p.add(`h${l}.ln2.g`, [d], { kind: 'ones' });
      p.add(`h${l}.ln2.b`, [d], { kind: 'zeros' });
      p.add(`h${l}.mlp.fc.w`, [d, mlpRatio * d], std);
      p.add(`h${l}.mlp.fc.b`, [mlpRatio * d], { kind: 'zeros' });
      p.add(`h${l}.mlp.proj.w`, [mlpRatio * d, d], resid);
      p.add(`h${l}.mlp.proj.b`, [d], { kind: 'zeros' });
    }
    p.add('ln_f.g', [d], { kind: 'ones' });
    p.add('ln_f.b', [d], { kind: 'zeros' });
    p.add('head.w', [d, V], std);
  }

  get trainableVariables(): tf.Variable[] {
    return this.params.list;
  }

  get parameterCount(): number {
    return this.params.count;
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return layerNorm(x, this.params.vars[`${name}.g`] as tf.Tensor1D, this.params.vars[`${name}.b`] as tf.Tensor1D, this.config.layerNormEps);
  }

  /**
   * Teacher-forced forward over [B, T] tokens. Positions count real (non-pad) tokens, so a left-padded
   * prompt gets the same positions as the unpadded one the sampler saw. Returns the final hidden state
   * for every position [B, T, d] (before the unembedding).
   */
  forwardHidden(tokens: Int32Array, B: number, T: number): tf.Tensor3D {
    return this.trunk(tokens, B, T, 0);
  }

  /**
   * The transformer over tokens [B, T]; returns the final hidden states of positions from … T−1, [B, T − from, d].
   * Earlier positions are computed only as far as later ones need them: the last block computes queries,
   * attention output and MLP for the kept positions only (keys and values for all).
   */
  private trunk(tokens: Int32Array, B: number, T: number, from: number): tf.Tensor3D {
    const { vocabSize: V, width: d, heads: H, context, padId, layers } = this.config;
    if (T > context) throw new Error(`TokenPolicy: sequence length T=${T} exceeds context=${context}`);
    if (tokens.length !== B * T) throw new Error(`TokenPolicy: tokens has ${tokens.length} ids, expected B*T = ${B}*${T}`);
    const Q = T - from;
    const pos = new Int32Array(B * T);
    const bias = new Float32Array(B * T * T);
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let t = 0; t < T; t++) {
        const id = tokens[b * T + t]!;
        if (id < 0 || id >= V) throw new Error(`TokenPolicy: token id ${id} at [${b}, ${t}] is outside the vocabulary [0, ${V})`);
        pos[b * T + t] = Math.min(n, context - 1);
        if (id !== padId) n++;
      }
      // key j is visible to query i when j ≤ i and j is not a pad (a pad query sees itself, avoiding an empty softmax)
      for (let i = 0; i < T; i++) {
        const row = (b * T + i) * T;
        for (let j = 0; j < T; j++) {
          const visible = j === i || (j < i && tokens[b * T + j] !== padId);
          bias[row + j] = visible ? 0 : -1e9;
        }
      }
    }
    // The last block's query rows of the mask: [B, 1, Q, T].
    const lastBias = from === 0 ? bias : new Float32Array(B * Q * T);
    if (from > 0) for (let b = 0; b < B; b++) lastBias.set(bias.subarray((b * T + from) * T, (b + 1) * T * T), b * Q * T);
    const v = this.params.vars;
    const dh = d / H;
    const scale = 1 / Math.sqrt(dh);
    return tf.tidy(() => {
      const mask = layers > 1 ? tf.tensor4d(bias, [B, 1, T, T]) : null;
      const maskLast = tf.tensor4d(lastBias, [B, 1, Q, T]);
      const tokOh = tf.oneHot(tf.tensor1d(tokens, 'int32'), V);
      const posOh = tf.oneHot(tf.tensor1d(pos, 'int32'), context);
      // [B*T, d] (then [B*Q, d] after the last block); the one-hot inputs are constants (no gradient for them).
      let x = linear(tokOh as tf.Tensor2D, v.tok_emb!, undefined, { inputGrad: false }).add(linear(posOh as tf.Tensor2D, v.pos_emb!, undefined, { inputGrad: false })) as tf.Tensor2D;
      const taped = recording();
      for (let l = 0; l < layers; l++) {
        const last = l === layers - 1;
        const p = `h${l}`;
        if (taped) {
          // Under a gradient tape: the block as one op with its backward written out (block.ts).
          x = transformerBlock(x, BLOCK_PARAMS.map((n) => v[`${p}.${n}`]!), last ? maskLast : mask!, { B, T, heads: H, from: last ? from : 0, eps: this.config.layerNormEps });
          continue;
        }
        const h = this.layerNorm(x, `${p}.ln1`);
        const qkv = linear(h, v[`${p}.attn.qkv.w`]!, v[`${p}.attn.qkv.b`]);
        // [B*T, 3d] → [B, 3H, T, dh] (one 4-D transpose; wasm's 5-D transpose is far slower) → q, k, v [B*H, T, dh].
        const [q0, k, val] = tf.split(qkv.reshape([B, T, 3 * H, dh]).transpose([0, 2, 1, 3]), 3, 1).map((t) => t.reshape([B * H, T, dh])) as tf.Tensor3D[];
        const q = last && from > 0 ? q0!.slice([0, from, 0], [B * H, Q, dh]) : q0!;
        const rows = last ? Q : T;
        const scores = tf.matMul(q, k!, false, true).mul(scale).reshape([B, H, rows, T]).add(last ? maskLast : mask!);
        const att = tf.matMul(tf.softmax(scores).reshape([B * H, rows, T]), val!).reshape([B, H, rows, dh]).transpose([0, 2, 1, 3]).reshape([B * rows, d]) as tf.Tensor2D;
        if (last && from > 0) x = x.reshape([B, T, d]).slice([0, from, 0], [B, Q, d]).reshape([B * Q, d]);
        x = x.add(linear(att, v[`${p}.attn.proj.w`]!, v[`${p}.attn.proj.b`]));
        const m = gelu(linear(this.layerNorm(x, `${p}.ln2`), v[`${p}.mlp.fc.w`]!, v[`${p}.mlp.fc.b`]));
        x = x.add(linear(m as tf.Tensor2D, v[`${p}.mlp.proj.w`]!, v[`${p}.mlp.proj.b`]));
      }
      return this.layerNorm(x, 'ln_f').reshape([B, Q, d]) as tf.Tensor3D;
    });
  }

  evaluate(inputs: TokenInputs): PolicyOutputs {
    const { tokens, B, T, promptLength: P } = inputs;
    if (!(Number.isInteger(P) && P >= 1 && P < T)) throw new Error(`TokenPolicy.evaluate: promptLength=${P} must be an integer in [1, T-1] (T=${T}): position P-1 predicts the first continuation token`);
    if (tokens.length !== B * T) throw new Error(`TokenPolicy: tokens has ${tokens.length} ids, expected B*T = ${B}*${T}`);
    const L = T - P;
    // Position T−1 is only ever a target (causal attention: no scored position sees it), so the trunk runs
    // over positions 0 … T−2 and keeps P−1 … T−2, the L positions that predict the continuation.
    const V = this.config.vocabSize;
    for (let b = 0; b < B; b++) {
      const id = tokens[b * T + T - 1]!; // the trunk checks the others
      if (!(id >= 0 && id < V)) throw new Error(`TokenPolicy: token id ${id} at [${b}, ${T - 1}] is outside the vocabulary [0, ${V})`);
    }
    const inner = new Int32Array(B * (T - 1));
    for (let b = 0; b < B; b++) inner.set(tokens.subarray(b * T, b * T + T - 1), b * (T - 1));
    return tf.tidy(() => {
      const h = this.trunk(inner, B, T - 1, P - 1);
      const logits = linear(h.reshape([B * L, this.hiddenSize]) as tf.Tensor2D, this.params.vars['head.w']!).reshape([B, L, this.numActions]) as tf.Tensor3D;
      return { logits, hidden: h };
    });
  }

  /**
   * Non-differentiable scoring of given sequences in one batched forward (teacher forcing): for each
   * continuation position, log π(token) [B*L] and the hidden state [B*L*d] — the same quantities the
   * sampler reports while generating.
   */
  score(inputs: TokenInputs): { logp: Float32Array; hidden: Float32Array; L: number } {
    const { tokens, B, T, promptLength: P } = inputs;
    const L = T - P;
    const targets = new Int32Array(B * L);
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) targets[b * L + t] = tokens[b * T + P + t]!;
    const [lp, h] = tf.tidy(() => {
      const out = this.evaluate(inputs);
      const logp = tf.logSoftmax(out.logits).mul(tf.oneHot(tf.tensor2d(targets, [B, L], 'int32'), this.numActions)).sum(-1);
      return [logp, out.hidden];
    });
    const res = { logp: lp.dataSync() as Float32Array, hidden: h.dataSync() as Float32Array, L };
    tf.dispose([lp, h]);
    return res;
  }

  /** A batched incremental sampler over N rows with a KV cache (see token-sampler.ts). */
  sampler(N: number, opts: SamplerOptions = {}): TokenSampler {
    return new TokenSampler(this, N, opts);
  }

  getWeights(): NamedWeights {
    return this.params.getWeights();
  }

  setWeights(weights: NamedWeights): void {
    this.params.setWeights(weights);
  }

  dispose(): void {
    this.productsCache?.dispose();
    this.params.dispose();
  }
}
