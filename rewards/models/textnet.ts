/**
 * The small TensorFlow.js text network behind the classification and ranking reward models:
 * hashed character n-gram features → dense(hidden, relu) → dense(1), trained with Adam.
 * Dense features in, so no tf.gather (whose gradient the wasm backend lacks). Synchronous throughout.
 */
import * as tf from '@tensorflow/tfjs';
import { captionFeatures } from './features.ts';

export interface TextNetShape { featureDim: number; ngrams: number; hidden: number; learningRate: number; seed: number }

export interface TextNetWeights { w1: number[]; b1: number[]; w2: number[]; b2: number[] }

export class TextNet {
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;
  private readonly optimizer: tf.AdamOptimizer;

  constructor(readonly shape: TextNetShape) {
    const { featureDim: D, hidden: H, seed } = shape;
    // He-uniform-style init, seeded so a run is reproducible.
    const l1 = Math.sqrt(6 / D), l2 = Math.sqrt(6 / H);
    // tidy frees the initial values; the variables keep their own reference to the data.
    this.w1 = tf.tidy(() => tf.variable(tf.randomUniform([D, H], -l1, l1, 'float32', seed), true));
    this.b1 = tf.tidy(() => tf.variable(tf.zeros([H]), true));
    this.w2 = tf.tidy(() => tf.variable(tf.randomUniform([H, 1], -l2, l2, 'float32', seed + 1), true));
    this.b2 = tf.tidy(() => tf.variable(tf.zeros([1]), true));
    this.optimizer = tf.train.adam(shape.learningRate);
  }

  features(captions: string[]): tf.Tensor2D {
    return tf.tensor2d(captionFeatures(captions, this.shape.featureDim, this.shape.ngrams), [captions.length, this.shape.featureDim]);
  }

  /** [n] scalar outputs (logits) for a [n, D] feature matrix. */
  forward(x: tf.Tensor2D): tf.Tensor1D {
    const h = tf.relu(tf.add(tf.matMul(x, this.w1), this.b1));
    return tf.reshape(tf.add(tf.matMul(h, this.w2), this.b2), [-1]) as tf.Tensor1D;
  }

  /** Raw outputs for captions, as a plain array. */
  outputs(captions: string[]): Float32Array {
    if (captions.length === 0) return new Float32Array(0);
    const t = tf.tidy(() => this.forward(this.features(captions)));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(out);
  }

  /** One Adam step on `lossFn`; returns the loss. */
  step(lossFn: () => tf.Scalar): number {
    const vars = [this.w1, this.b1, this.w2, this.b2];
    const loss = this.optimizer.minimize(lossFn, true, vars);
    const v = loss ? loss.dataSync()[0]! : NaN;
    loss?.dispose();
    return v;
  }

  getWeights(): TextNetWeights {
    return {
      w1: Array.from(this.w1.dataSync()), b1: Array.from(this.b1.dataSync()),
      w2: Array.from(this.w2.dataSync()), b2: Array.from(this.b2.dataSync()),
    };
  }

  setWeights(w: TextNetWeights, who: string): void {
    const check = (name: keyof TextNetWeights, v: tf.Variable) => {
      const arr = w?.[name];
      if (!Array.isArray(arr) || arr.length !== v.size) {
        throw new Error(`${who}.load: weight '${name}' must have ${v.size} values (shape ${v.shape.join('×')}), got ${Array.isArray(arr) ? arr.length : typeof arr}`);
      }
      v.assign(tf.tensor(arr, v.shape));
    };
    tf.tidy(() => { check('w1', this.w1); check('b1', this.b1); check('w2', this.w2); check('b2', this.b2); });
  }

  dispose(): void {
    for (const v of [this.w1, this.b1, this.w2, this.b2]) v.dispose();
    this.optimizer.dispose();
  }
}
