/**
 * A named set of tf.Variables with deterministic (seeded) initialisation, NamedWeights import/export and
 * a plain Float32Array mirror for the TypeScript forward passes. The mirror is refreshed lazily when a
 * variable's storage changed (optimisers and setWeights assign new data, which changes its dataId).
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedWeights } from '../types.ts';
import { checkWeightsMatch } from '../weights/index.ts';
import { normal, type Rng } from './rng.ts';
import { transpose } from './jsmath.ts';
import { readInto } from '../backend.ts';

export type Init = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export class ParamStore {
  readonly vars: Record<string, tf.Variable> = {};
  readonly shapes: Record<string, number[]> = {};
  private mirror: Record<string, Float32Array> = {};
  private mirrorIds: Record<string, object> = {};
  private mirrorT: Record<string, Float32Array> = {};
  private mirrorTIds: Record<string, object> = {};

  constructor(private readonly owner: string, private readonly rng: Rng) {}

  add(name: string, shape: number[], init: Init): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (init.kind === 'normal') for (let i = 0; i < n; i++) data[i] = normal(this.rng) * init.std;
    else if (init.kind === 'ones') data.fill(1);
    const initial = tf.tensor(data, shape);
    const v = tf.variable(initial, true, `${this.owner}/${name}/${Math.random().toString(36).slice(2, 8)}`);
    initial.dispose(); // the variable holds its own copy
    this.vars[name] = v;
    this.shapes[name] = shape;
    return v;
  }

  get list(): tf.Variable[] {
    return Object.values(this.vars);
  }

  get count(): number {
    return Object.values(this.shapes).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  }

  getWeights(): NamedWeights {
    const out: NamedWeights = {};
    // One copy per tensor (dataSync already copies on wasm; readInto copies straight from the heap).
    for (const [name, v] of Object.entries(this.vars)) out[name] = { shape: [...v.shape], data: readInto(v) };
    return out;
  }

  setWeights(w: NamedWeights): void {
    checkWeightsMatch(this.shapes, w, this.owner);
    for (const [name, v] of Object.entries(this.vars)) {
      const t = tf.tensor(w[name]!.data, w[name]!.shape);
      v.assign(t);
      t.dispose();
    }
  }

  /** Float32Array copies of every variable, current as of the variables' latest assignment. */
  js(): Record<string, Float32Array> {
    for (const [name, v] of Object.entries(this.vars)) {
      const id = (v as unknown as { dataId: object }).dataId;
      if (this.mirrorIds[name] !== id) {
        this.mirror[name] = v.dataSync() as Float32Array;
        this.mirrorIds[name] = id;
      }
    }
    return this.mirror;
  }

  /** Transposed ([out, in]) Float32Array copies of 2-D variables, for `matmulT`; same lazy refresh. */
  jsT(): Record<string, Float32Array> {
    const m = this.js();
    for (const [name, v] of Object.entries(this.vars)) {
      if (v.shape.length !== 2) continue;
      const id = this.mirrorIds[name]!;
      if (this.mirrorTIds[name] !== id) {
        this.mirrorT[name] = transpose(m[name]!, v.shape[0]!, v.shape[1]!);
        this.mirrorTIds[name] = id;
      }
    }
    return this.mirrorT;
  }

  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
  }
}
