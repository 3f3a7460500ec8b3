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

export interface AdamSnapshot { t: number; vars: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] }

export class AdamW {
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(private readonly vars: readonly tf.Variable[], public options: AdamOptions) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  get steps(): number { return this.t; }

  /** One step with gradients `grads[i]` for `vars[i]` (undefined = no gradient), each multiplied by `scale` first. */
  apply(grads: readonly (tf.Tensor | undefined)[], scale = 1): void {
    this.t++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd } = this.options;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        const g0 = grads[i];
        if (!g0) return;
        const g = scale === 1 ? g0 : g0.mul(scale);
        const m = this.m[i].mul(b1).add(g.mul(1 - b1));
        const v = this.v[i].mul(b2).add(g.square().mul(1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        let next = x.sub(m.div(c1).div(v.div(c2).sqrt().add(eps)).mul(lr));
        if (wd > 0) next = next.sub(x.mul(lr * wd));
        x.assign(next);
      });
    });
  }

  /**
   * A copy of the optimised variables and of the optimiser state, to roll a multi-step update back.
   * Dispose it with `dropSnapshot` (or `restore`, which consumes it).
   */
  snapshot(): AdamSnapshot {
    return { t: this.t, vars: this.vars.map((x) => tf.clone(x)), m: this.m.map((x) => tf.clone(x)), v: this.v.map((x) => tf.clone(x)) };
  }

  /** Puts the variables and the optimiser state back as they were at `snapshot()`, and frees the snapshot. */
  restore(s: AdamSnapshot): void {
    this.vars.forEach((x, i) => x.assign(s.vars[i]));
    this.m.forEach((x, i) => x.assign(s.m[i]));
    this.v.forEach((x, i) => x.assign(s.v[i]));
    this.t = s.t;
    this.dropSnapshot(s);
  }

  dropSnapshot(s: AdamSnapshot): void {
    tf.dispose([...s.vars, ...s.m, ...s.v]);
  }

  private key(i: number): string { return `${i}:${this.vars[i].name}`; }

  getState(): AdamState {
    const dump = (list: tf.Variable[]): NamedWeights => {
      const out: NamedWeights = {};
      list.forEach((x, i) => { out[this.key(i)] = { shape: [...x.shape], data: new Float32Array(x.dataSync() as Float32Array) }; });
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
    const assign = (list: tf.Variable[], ws: NamedWeights[string][]) =>
      list.forEach((x, i) => tf.tidy(() => x.assign(tf.tensor(ws[i].data, x.shape, 'float32'))));
    assign(this.m, m);
    assign(this.v, v);
    this.t = state.t;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
