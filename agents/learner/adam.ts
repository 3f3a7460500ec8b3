/**
 * AdamW with savable state (moments as NamedWeights), in PyTorch's form — the optimiser TRL trains with.
 * Source: Kingma & Ba, "Adam" (2015); Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (2019).
 *
 *   θ ← θ − lr·λ·θ
 *   m ← β1 m + (1−β1) g ;  v ← β2 v + (1−β2) g²
 *   θ ← θ − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε)
 *
 * Written here rather than using tf.train.adam because tfjs's optimiser state is only readable
 * asynchronously and its ε sits inside the bias correction differently; here getState() is synchronous and
 * checkpoints restore exactly.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedWeights } from '../types.ts';

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface AdamState {
  /** Optimiser steps taken (the t of the bias correction). */
  t: number;
  /** First moments, keyed `<index>:<variable name>` in `trainableVariables` order. */
  m: NamedWeights;
  /** Second moments, same keys. */
  v: NamedWeights;
}

/**
 * Moment data as it may come back from a checkpoint: a Float32Array, a plain number array (JSON), or the raw
 * bytes of a Float32Array (msgpackr without `moreTypes` returns those as a Buffer). null if none of these.
 */
function asFloat32(data: unknown): Float32Array | null {
  if (data instanceof Float32Array) return data;
  if (Array.isArray(data) && data.every((v) => typeof v === 'number')) return Float32Array.from(data);
  if (data instanceof Uint8Array && data.byteLength % 4 === 0) return new Float32Array(new Uint8Array(data).buffer);
  return null;
}

export interface AdamSnapshot { t: number; vars: tf.Tensor[]; m: Float32Array[]; v: Float32Array[] }

/**
 * The moments live in plain Float32Arrays and one step is a loop over each variable's entries (double
 * arithmetic, stored as float32), then one `assign` per variable: for the policies here (10⁴–10⁵
 * parameters in 6–30 tensors) this replaces about a dozen tfjs ops per variable (each ≈ 6.5 µs of
 * dispatch on wasm) by one pass over the numbers; measured in `npm run bench -- torch`.
 */
export class AdamW {
  private t = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** The variables' values as last written by this optimiser, valid while the variable still holds that data. */
  private readonly cache: Array<{ dataId: object; values: Float32Array } | null>;

  constructor(private readonly vars: readonly tf.Variable[], public options: AdamOptions) {
    this.m = vars.map((x) => new Float32Array(x.size));
    this.v = vars.map((x) => new Float32Array(x.size));
    this.cache = vars.map(() => null);
  }

  get steps(): number { return this.t; }

  /** One step with gradients `grads[i]` for `vars[i]` (undefined = no gradient), each multiplied by `scale` first. */
  apply(grads: readonly (tf.Tensor | undefined)[], scale = 1): void {
    this.applyArrays(grads.map((g) => (g ? (g.dataSync() as Float32Array) : undefined)), scale);
  }

  /** `apply` with the gradients already read back as Float32Arrays (the learner reads them once for the norm). */
  applyArrays(grads: readonly (Float32Array | undefined)[], scale = 1): void {
    this.t++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.options;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    const decay = 1 - lr * wd;
    this.vars.forEach((x, i) => {
      const g = grads[i];
      if (!g) return;
      const m = this.m[i], v = this.v[i];
      const dataId = (x as unknown as { dataId: object }).dataId;
      const cached = this.cache[i];
      const cur = cached && cached.dataId === dataId ? cached.values : (x.dataSync() as Float32Array);
      // tf.tensor copies its values into the backend on wasm, so the step can be computed in place there;
      // the cpu backend keeps the array itself as the tensor's storage, so it gets a fresh one.
      const next = cached && cached.values === cur && tf.getBackend() === 'wasm' ? cur : new Float32Array(cur.length);
      for (let k = 0; k < next.length; k++) {
        const gk = g[k] * scale;
        const mk = (m[k] = b1 * m[k] + (1 - b1) * gk);
        const vk = (v[k] = b2 * v[k] + (1 - b2) * gk * gk);
        // θ ← θ − lr·λ·θ − lr·m̂/(√v̂ + ε), with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t) (decay applied to the old θ)
        next[k] = cur[k] * decay - (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
      }
      const t = tf.tensor(next, x.shape, 'float32');
      x.assign(t);
      t.dispose();
      this.cache[i] = { dataId: (x as unknown as { dataId: object }).dataId, values: next };
    });
  }

  /**
   * A copy of the optimised variables and of the optimiser state, to roll a multi-step update back.
   * Dispose it with `dropSnapshot` (or `restore`, which consumes it).
   */
  snapshot(): AdamSnapshot {
    return { t: this.t, vars: this.vars.map((x) => tf.clone(x)), m: this.m.map((a) => a.slice()), v: this.v.map((a) => a.slice()) };
  }

  /** Puts the variables and the optimiser state back as they were at `snapshot()`, and frees the snapshot. */
  restore(s: AdamSnapshot): void {
    this.vars.forEach((x, i) => x.assign(s.vars[i]));
    this.m.forEach((a, i) => a.set(s.m[i]));
    this.v.forEach((a, i) => a.set(s.v[i]));
    this.t = s.t;
    this.dropSnapshot(s);
  }

  dropSnapshot(s: AdamSnapshot): void {
    tf.dispose(s.vars);
  }

  private key(i: number): string { return `${i}:${this.vars[i].name}`; }

  getState(): AdamState {
    const dump = (list: Float32Array[]): NamedWeights => {
      const out: NamedWeights = {};
      list.forEach((a, i) => { out[this.key(i)] = { shape: [...this.vars[i].shape], data: a.slice() }; });
      return out;
    };
    return { t: this.t, m: dump(this.m), v: dump(this.v) };
  }

  /**
   * Restores moments saved by getState(). Entries are matched by position (the `<index>:` prefix), since
   * variable names can differ between processes; shapes must agree. Throws naming the entry otherwise.
   */
  setState(state: AdamState): void {
    if (!state || typeof state.t !== 'number' || !Number.isInteger(state.t) || state.t < 0) {
      throw new Error(`AdamW.setState: 't' must be a non-negative integer, got ${JSON.stringify(state?.t)}`);
    }
    const check = (which: 'm' | 'v') => {
      const saved = state[which];
      if (!saved || typeof saved !== 'object') throw new Error(`AdamW.setState: missing '${which}'`);
      const byIndex = new Map<number, { name: string; w: NamedWeights[string] }>();
      for (const [name, w] of Object.entries(saved)) byIndex.set(Number(name.split(':')[0]), { name, w });
      if (byIndex.size !== this.vars.length) {
        throw new Error(`AdamW.setState: '${which}' has ${byIndex.size} entries, the policy has ${this.vars.length} trainable variables`);
      }
      return this.vars.map((x, i) => {
        const e = byIndex.get(i);
        if (!e) throw new Error(`AdamW.setState: '${which}' has no entry for variable ${this.key(i)}`);
        const size = x.shape.reduce((a, b) => a * b, 1);
        const data = asFloat32(e.w?.data);
        if (!Array.isArray(e.w?.shape) || e.w.shape.join(',') !== x.shape.join(',') || !data || data.length !== size) {
          throw new Error(`AdamW.setState: '${which}' entry '${e.name}' has shape [${e.w?.shape}] and ${data ? data.length : 'unreadable'} values, variable ${this.key(i)} has shape [${x.shape}]`);
        }
        return { shape: e.w.shape, data };
      });
    };
    // Validate both before assigning either, so a bad state leaves the optimiser untouched.
    const m = check('m'), v = check('v');
    this.m.forEach((a, i) => a.set(m[i].data));
    this.v.forEach((a, i) => a.set(v[i].data));
    this.t = state.t;
  }

  /** Nothing to free: the moments are plain arrays (kept for the interface's sake). */
  dispose(): void {
    this.cache.fill(null);
  }
}
