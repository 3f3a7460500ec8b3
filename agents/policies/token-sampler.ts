/**
 * Batched incremental sampling for the token policy, with a per-row KV cache.
 *
 * N rows (one per env an actor steps). Each row holds its context so far; the keys and values of every
 * processed position are cached per layer, so a new position costs one position's work (its own
 * projections plus attention over the cache) instead of re-running the whole prefix.
 *
 *   const s = policy.sampler(N, { temperature: 1, seed: 1 });
 *   s.reset(row, promptIds)      // new episode: drop the row's context, queue its prompt
 *   const out = s.sample()       // one batched forward over all queued positions of all active rows,
 *                                // then one token per active row; the sampled token is appended to the
 *                                // row's context (queued for the next call)
 *   s.feed(row, toolResultIds)   // env-inserted tokens (tool results, …) join the row's queue
 *   s.deactivate(row)            // the row samples nothing until the next reset
 *
 * The matrix products (QKV, attention output, MLP, unembedding) run as tfjs kernels over the policy's
 * variables, batched over every queued position; LayerNorm, GELU and attention over the per-row cache
 * run in plain TypeScript over a Float32Array mirror of the small parameters (measured against a torch
 * KV-cache sampler in `npm run bench -- torch`). Both follow setWeights, so weights received mid-episode
 * are used from the next sample(); cached keys/values computed under the old weights are kept until the
 * row's next reset (the usual asynchronous-actor approximation).
 */
import * as tf from '@tensorflow/tfjs';
import { layerNorm } from './jsmath.ts';
import { gelu } from './ops.ts';
import { readInto } from '../backend.ts';
import { makeRng, type Rng } from './rng.ts';
import { chooseAction, validateSamplingOptions, type SamplingOptions } from './sampling.ts';
import type { TokenPolicy } from './token.ts';

export interface SamplerOptions extends SamplingOptions {
  /** Uniform [0,1) source; default a generator seeded with `seed`. */
  rng?: Rng;
  /** Seed for the default rng. Default: the policy's config.seed. */
  seed?: number;
}

export interface SampleResult {
  /** [N] sampled token per row; -1 for rows that sampled nothing (inactive). */
  tokens: Int32Array;
  /** [N] log-prob of the token under the distribution it was drawn from (temperature/top-k/top-p applied). */
  logp: Float32Array;
  /** [N] log-prob of the token under the policy itself, log softmax(logits) — what `evaluate` scores. */
  modelLogp: Float32Array;
  /** [N*d] last-layer hidden state at the position that predicted the token (zeros for inactive rows). */
  hidden: Float32Array;
  /** Rows that sampled this call. */
  rows: number[];
}

interface Row {
  active: boolean;
  /** Every token of the context: processed ones then queued ones. */
  ids: number[];
  /** How many of `ids` have keys/values in the cache. */
  done: number;
  k: Float32Array[];
  v: Float32Array[];
}

export class TokenSampler {
  readonly N: number;
  private readonly rows: Row[];
  private readonly rng: Rng;
  private readonly sampling: Required<SamplingOptions>;

  constructor(private readonly policy: TokenPolicy, N: number, opts: SamplerOptions = {}) {
    if (!Number.isInteger(N) || N < 1) throw new Error(`TokenSampler: N=${N} must be an integer >= 1`);
    const { rng, seed, ...sampling } = opts;
    this.sampling = validateSamplingOptions(sampling);
    this.rng = rng ?? makeRng(seed ?? policy.config.seed ^ 0x2545f491);
    this.N = N;
    this.rows = Array.from({ length: N }, () => ({ active: false, ids: [], done: 0, k: [], v: [] }));
  }

  private row(r: number): Row {
    const row = this.rows[r];
    if (!row) throw new Error(`TokenSampler: row ${r} is outside [0, ${this.N})`);
    return row;
  }

  private check(r: number, ids: ArrayLike<number>, extra: number): void {
    const { vocabSize: V, context } = this.policy.config;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`TokenSampler: row ${r}: token id ${id} is outside the vocabulary [0, ${V})`);
    }
    if (extra > context) throw new Error(`TokenSampler: row ${r} would hold ${extra} tokens, more than context=${context}; end the episode (reset) earlier or raise the policy's context`);
  }

  /** Start a new episode on `row` with its prompt (at least one token). */
  reset(r: number, prompt: ArrayLike<number>): void {
    const row = this.row(r);
    if (prompt.length < 1) throw new Error(`TokenSampler: row ${r}: a prompt needs at least one token`);
    this.check(r, prompt, prompt.length);
    row.ids = Array.from(prompt);
    row.done = 0;
    row.active = true;
  }

  /** Append tokens the env inserted (tool results, observations) to the row's context. */
  feed(r: number, tokens: ArrayLike<number>): void {
    const row = this.row(r);
    if (!row.active) throw new Error(`TokenSampler: row ${r} is not active; call reset(row, prompt) first`);
    this.check(r, tokens, row.ids.length + tokens.length);
    for (let i = 0; i < tokens.length; i++) row.ids.push(tokens[i]!);
  }

  /** Stop sampling on a row (its episode ended and no new prompt yet). */
  deactivate(r: number): void {
    this.row(r).active = false;
  }

  isActive(r: number): boolean {
    return this.row(r).active;
  }

  /** The row's whole context (prompt, sampled and inserted tokens). */
  context(r: number): Int32Array {
    return Int32Array.from(this.row(r).ids);
  }

  /** Tokens the row can still take before reaching the policy's context. */
  remaining(r: number): number {
    return this.policy.config.context - this.row(r).ids.length;
  }

  /**
   * One batched forward over the queued positions of the chosen rows (default: every active row), then
   * one token per row. Each sampled token is appended to its row's context.
   */
  sample(which?: number[]): SampleResult {
    const { width: d } = this.policy.config;
    const N = this.N;
    const rows = which ?? this.rows.flatMap((row, r) => (row.active ? [r] : []));
    for (const r of rows) {
      const row = this.row(r);
      if (!row.active) throw new Error(`TokenSampler.sample: row ${r} is not active`);
      if (row.ids.length >= this.policy.config.context) this.check(r, [], row.ids.length + 1);
    }
    const out: SampleResult = {
      tokens: new Int32Array(N).fill(-1),
      logp: new Float32Array(N).fill(NaN),
      modelLogp: new Float32Array(N).fill(NaN),
      hidden: new Float32Array(N * d),
      rows,
    };
    if (rows.length === 0) return out;
    const { hidden, logits } = this.forward(rows);
    const V = this.policy.numActions;
    rows.forEach((r, i) => {
      const ch = chooseAction(logits, i * V, V, this.sampling, this.rng);
      out.tokens[r] = ch.action;
      out.logp[r] = ch.logp;
      out.modelLogp[r] = ch.modelLogp;
      out.hidden.set(hidden.subarray(i * d, (i + 1) * d), r * d);
      this.rows[r]!.ids.push(ch.action);
    });
    return out;
  }

  /** Process every queued position of `rows`; return hidden [rows, d] and logits [rows, V] at each row's last position. */
  private forward(rows: number[]): { hidden: Float32Array; logits: Float32Array } {
    const cfg = this.policy.config;
    const { width: d, heads: H, layers, padId, context } = cfg;
    const dh = d / H;
    const w = this.policy.params.js();
    // Gather the queued positions: (row, position) pairs, row by row.
    const posRow: number[] = [];
    const posIdx: number[] = [];
    /** Learned-position index: non-pad tokens before the position (as in evaluate). */
    const posId: number[] = [];
    const last: number[] = [];
    for (const r of rows) {
      const row = this.rows[r]!;
      if (row.k.length === 0) {
        for (let l = 0; l < layers; l++) { row.k.push(new Float32Array(context * d)); row.v.push(new Float32Array(context * d)); }
      }
      const from = row.done;
      if (from === row.ids.length) {
        // Nothing new (cannot happen after sample(), which appends a token); recompute the last position.
        row.done--;
      }
      let before = 0;
      for (let j = 0; j < row.done; j++) if (row.ids[j] !== padId) before++;
      for (let p = row.done; p < row.ids.length; p++) {
        posRow.push(r); posIdx.push(p); posId.push(before);
        if (row.ids[p] !== padId) before++;
      }
      last.push(posRow.length - 1);
    }
    const M = posRow.length;
    // x = E[token] + P[position]; positions count non-pad tokens, as in evaluate.
    let x = new Float32Array(M * d);
    for (let m = 0; m < M; m++) {
      const row = this.rows[posRow[m]!]!;
      const id = row.ids[posIdx[m]!]!;
      const te = id * d;
      const pe = Math.min(posId[m]!, context - 1) * d;
      for (let j = 0; j < d; j++) x[m * d + j] = w.tok_emb![te + j]! + w.pos_emb![pe + j]!;
    }
    const scale = 1 / Math.sqrt(dh);
    const scores = new Float64Array(context * H), maxs = new Float64Array(H), sums = new Float64Array(H);
    const qvec = new Float64Array(d), accum = new Float64Array(d);
    for (let l = 0; l < layers; l++) {
      const p = `h${l}`;
      const h = layerNorm(x, M, d, w[`${p}.ln1.g`]!, w[`${p}.ln1.b`]!, cfg.layerNormEps);
      const qkv = this.policy.products.run(h, M, d, `${p}.attn.qkv.w`, `${p}.attn.qkv.b`);
      for (let m = 0; m < M; m++) {
        const row = this.rows[posRow[m]!]!;
        const at = posIdx[m]! * d;
        row.k[l]!.set(qkv.subarray(m * 3 * d + d, m * 3 * d + 2 * d), at);
        row.v[l]!.set(qkv.subarray(m * 3 * d + 2 * d, m * 3 * d + 3 * d), at);
      }
      // In the last layer only each row's final position matters for sampling.
      const keep = l === layers - 1 ? last : null;
      const Q = keep ? keep.length : M;
      const att = new Float32Array(Q * d);
      const sc = scores, qv = qvec, acc = accum;
      for (let qi = 0; qi < Q; qi++) {
        const m = keep ? keep[qi]! : qi;
        const row = this.rows[posRow[m]!]!;
        const i = posIdx[m]!;
        const K = row.k[l]!, Vc = row.v[l]!, ids = row.ids;
        for (let e = 0; e < d; e++) qv[e] = qkv[m * 3 * d + e]! * scale;
        // Scores of every head in one pass over the keys (sc[j*H + hh]); pads are never attended to.
        const max = maxs.fill(-Infinity);
        for (let j = 0; j <= i; j++) {
          if (j !== i && ids[j] === padId) continue;
          const ko = j * d;
          for (let hh = 0; hh < H; hh++) {
            let s = 0;
            const o = hh * dh;
            for (let e = 0; e < dh; e++) s += qv[o + e]! * K[ko + o + e]!;
            sc[j * H + hh] = s;
            if (s > max[hh]!) max[hh] = s;
          }
        }
        const sum = sums.fill(0);
        acc.fill(0, 0, d);
        for (let j = 0; j <= i; j++) {
          if (j !== i && ids[j] === padId) continue;
          const vo = j * d;
          for (let hh = 0; hh < H; hh++) {
            const pj = Math.exp(sc[j * H + hh]! - max[hh]!);
            sum[hh]! += pj;
            const o = hh * dh;
            for (let e = 0; e < dh; e++) acc[o + e]! += pj * Vc[vo + o + e]!;
          }
        }
        const oo = qi * d;
        for (let hh = 0; hh < H; hh++) {
          const inv = 1 / sum[hh]!;
          for (let e = hh * dh; e < (hh + 1) * dh; e++) att[oo + e] = acc[e]! * inv;
        }
      }
      let xs = x;
      if (keep) {
        xs = new Float32Array(Q * d);
        keep.forEach((m, qi) => xs.set(x.subarray(m * d, (m + 1) * d), qi * d));
      }
      const proj = this.policy.products.run(att, Q, d, `${p}.attn.proj.w`, `${p}.attn.proj.b`);
      for (let i = 0; i < xs.length; i++) xs[i]! += proj[i]!;
      const h2 = layerNorm(xs, Q, d, w[`${p}.ln2.g`]!, w[`${p}.ln2.b`]!, cfg.layerNormEps);
      const mo = this.policy.products.mlp(h2, Q, d, p);
      for (let i = 0; i < xs.length; i++) xs[i]! += mo[i]!;
      x = xs;
    }
    for (const r of rows) this.rows[r]!.done = this.rows[r]!.ids.length;
    const hidden = layerNorm(x, rows.length, d, w['ln_f.g']!, w['ln_f.b']!, cfg.layerNormEps);
    const logits = this.policy.products.run(hidden, rows.length, d, 'head.w');
    return { hidden, logits };
  }
}

/**
 * The sampler's matrix products on tfjs. Each is one `_FusedMatMul` kernel (x·W + b; on wasm XNNPACK
 * keeps W packed between calls until the weights change) called directly on 3-D views, which skips the
 * reshapes `tf.fused.matMul` records around it (≈ 6.5 µs of dispatch each; a step makes ~10 products).
 * The products are most of a step's arithmetic and run several times faster there than as TypeScript
 * loops; LayerNorm and attention over the per-row cache stay in TypeScript, where they cost less than
 * kernel dispatches would.
 */
export class SamplerProducts {
  /** [1, in, out] views of the weight variables, rebuilt when a variable's data changes. */
  private readonly views = new Map<string, { dataId: object; view: tf.Tensor }>();
  /** Output buffers, one per product (reused across steps). */
  private readonly outs: Record<string, Float32Array | undefined> = {};

  constructor(private readonly vars: Record<string, tf.Variable>) {}

  private weight(name: string): tf.Tensor {
    const v = this.vars[name]!;
    const dataId = (v as unknown as { dataId: object }).dataId;
    const hit = this.views.get(name);
    if (hit && hit.dataId === dataId) return hit.view;
    hit?.view.dispose();
    const view = tf.keep(v.reshape([1, v.shape[0]!, v.shape[1]!]));
    this.views.set(name, { dataId, view });
    return view;
  }

  private fused(a: tf.Tensor, w: string, b?: string): tf.Tensor {
    const inputs: Record<string, tf.Tensor> = { a, b: this.weight(w) };
    if (b) inputs.bias = this.vars[b]!;
    return tf.engine().runKernel('_FusedMatMul', inputs, { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 }) as tf.Tensor;
  }

  /** x [m, k]·W + b as a Float32Array (a buffer reused per weight: valid until the next product with W). */
  run(x: Float32Array, m: number, k: number, w: string, b?: string): Float32Array {
    const a = tf.tensor3d(x, [1, m, k]);
    const y = this.fused(a, w, b);
    const out = (this.outs[w] = readInto(y, this.outs[w]));
    a.dispose();
    y.dispose();
    return out;
  }

  /** The MLP block gelu(h·W_fc + b_fc)·W_proj + b_proj (its GELU is cheaper on tfjs than per element in TypeScript). */
  mlp(h: Float32Array, m: number, d: number, p: string): Float32Array {
    const y = tf.tidy(() => {
      const fc = this.fused(tf.tensor3d(h, [1, m, d]), `${p}.mlp.fc.w`, `${p}.mlp.fc.b`);
      return this.fused(gelu(fc), `${p}.mlp.proj.w`, `${p}.mlp.proj.b`);
    });
    const out = (this.outs[p] = readInto(y, this.outs[p]));
    y.dispose();
    return out;
  }

  dispose(): void {
    for (const { view } of this.views.values()) view.dispose();
    this.views.clear();
  }
}
