/**
 * TEST FIXTURE (not a real policy): a one-hidden-layer softmax policy implementing TrainablePolicy, with a
 * float64 plain-JS twin of its forward pass and of the GRPO objective, written independently of
 * agents/learner so the learner's numbers can be checked against it (values and finite differences).
 *
 *   h = tanh(x W1 + b1)   (d)        logits = h W2 + b2   (V)
 * Inputs: { obs: Float32Array [B*L*D], B, L }.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mulberry32 } from '../../envs/index.ts';
import type { LearnerBatch, NamedWeights, PolicyOutputs, TrainablePolicy } from '../../agents/types.ts';

export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}

export interface FixtureInputs { obs: Float32Array; B: number; L: number }

/** Seeded uniform generator (envs' mulberry32). */
export const rng = mulberry32;

let fixtureCount = 0;

export class TinyPolicy implements TrainablePolicy<FixtureInputs> {
  readonly kind = 'game' as const;
  readonly trainableVariables: tf.Variable[];
  /** When set, evaluate adds sqrt(0·ΣW2) to the logits: value 0, gradient NaN (for the skip test). */
  poisonGradient = false;
  /** evaluate() calls so far, and the call from which on the gradient is poisoned (for mid-update faults). */
  calls = 0;
  poisonFromCall = Infinity;
  private readonly names = ['W1', 'b1', 'W2', 'b2'];

  constructor(readonly obsDim: number, readonly hiddenSize: number, readonly numActions: number, seed = 1, scale = 0.8) {
    const r = rng(seed);
    const init = (shape: number[]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale), shape);
    };
    const id = fixtureCount++;
    this.trainableVariables = [
      tf.variable(init([obsDim, hiddenSize]), true, `fixture${id}/W1`),
      tf.variable(init([hiddenSize]), true, `fixture${id}/b1`),
      tf.variable(init([hiddenSize, numActions]), true, `fixture${id}/W2`),
      tf.variable(init([numActions]), true, `fixture${id}/b2`),
    ];
  }

  evaluate({ obs, B, L }: FixtureInputs): PolicyOutputs {
    return tf.tidy(() => {
      const [W1, b1, W2, b2] = this.trainableVariables;
      const x = tf.tensor2d(obs, [B * L, this.obsDim]);
      const h = tf.tanh(x.matMul(W1).add(b1));
      let logits = h.matMul(W2).add(b2);
      if (this.poisonGradient || ++this.calls > this.poisonFromCall) logits = logits.add(tf.sqrt(W2.mul(0).sum()));
      return {
        logits: logits.reshape([B, L, this.numActions]) as tf.Tensor3D,
        hidden: h.reshape([B, L, this.hiddenSize]) as tf.Tensor3D,
      };
    });
  }

  getWeights(): NamedWeights {
    const out: NamedWeights = {};
    this.trainableVariables.forEach((v, i) => {
      out[this.names[i]] = { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
    });
    return out;
  }

  setWeights(w: NamedWeights): void {
    this.trainableVariables.forEach((v, i) => {
      const e = w[this.names[i]];
      if (!e) throw new Error(`TinyPolicy.setWeights: missing '${this.names[i]}'`);
      v.assign(tf.tensor(e.data, v.shape));
    });
  }

  /** Parameters as float64 arrays (W1, b1, W2, b2), for the JS twin. */
  params(): Float64Array[] {
    return this.trainableVariables.map((v) => Float64Array.from(v.dataSync()));
  }

  dispose(): void { for (const v of this.trainableVariables) v.dispose(); }
}

/** Float64 forward of TinyPolicy: per position, logp [V] (log-softmax), probs [V], hidden [d]. */
export function forward64(p: Float64Array[], D: number, d: number, V: number, obs: ArrayLike<number>, N: number) {
  const [W1, b1, W2, b2] = p;
  const logp: Float64Array[] = [], probs: Float64Array[] = [], hidden: Float64Array[] = [];
  for (let n = 0; n < N; n++) {
    const h = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let s = b1[j];
      for (let i = 0; i < D; i++) s += obs[n * D + i] * W1[i * d + j];
      h[j] = Math.tanh(s);
    }
    const z = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let s = b2[v];
      for (let j = 0; j < d; j++) s += h[j] * W2[j * V + v];
      z[v] = s;
    }
    const m = Math.max(...z);
    let se = 0;
    for (let v = 0; v < V; v++) se += Math.exp(z[v] - m);
    const lse = m + Math.log(se);
    logp.push(z.map((x) => x - lse));
    probs.push(z.map((x) => Math.exp(x - lse)));
    hidden.push(h);
  }
  return { logp, probs, hidden };
}

export interface RefLossOptions {
  lossType: 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  sequence: boolean;
  /** dr_grpo's L_max (TRL max_completion_length); default the batch's L. */
  maxLength?: number;
  /** Entropy bonus κ: −κ·H_t is added to every real token's loss (needs `entropy`). */
  entropyCoef?: number;
}

/**
 * The GRPO objective in float64, straight from the table in algorithms.md §1 (one minibatch):
 * tokenAdv [B*L] are the (already THR-weighted) advantages, refLogp [B*L] the reference log-probs.
 */
export function referenceLoss(logpChosen: number[], batch: LearnerBatch<FixtureInputs>, tokenAdv: ArrayLike<number>, o: RefLossOptions, refLogp?: number[], entropy?: number[]): number {
  const { B, L, mask, behaviourLogp } = batch;
  const lossRows: number[][] = [];
  for (let b = 0; b < B; b++) {
    const row: number[] = [];
    let seqLR = 0, len = 0;
    for (let t = 0; t < L; t++) if (mask[b * L + t]) { seqLR += logpChosen[b * L + t] - behaviourLogp[b * L + t]; len++; }
    const s = Math.exp(seqLR / Math.max(1, len));
    for (let t = 0; t < L; t++) {
      const k = b * L + t;
      if (!mask[k]) { row.push(0); continue; }
      const w = o.sequence ? s : Math.exp(logpChosen[k] - behaviourLogp[k]);
      const A = tokenAdv[k];
      const clipped = Math.min(Math.max(w, 1 - o.epsilonLow), 1 + o.epsilonHigh);
      let l = -Math.min(w * A, clipped * A);
      if (o.beta > 0 && refLogp) { const dd = refLogp[k] - logpChosen[k]; l += o.beta * (Math.exp(dd) - dd - 1); }
      if (o.entropyCoef && entropy) l -= o.entropyCoef * entropy[k];
      row.push(l);
    }
    lossRows.push(row);
  }
  const sw = (b: number) => (batch.sampleWeights ? batch.sampleWeights[b] : 1);
  let total = 0, tokens = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) { total += lossRows[b][t] * sw(b); tokens += mask[b * L + t] ? 1 : 0; }
  switch (o.lossType) {
    case 'grpo': {
      let s = 0;
      for (let b = 0; b < B; b++) {
        let len = 0, sum = 0;
        for (let t = 0; t < L; t++) { len += mask[b * L + t] ? 1 : 0; sum += lossRows[b][t] * sw(b); }
        s += sum / Math.max(1, len);
      }
      return s / B;
    }
    case 'bnpo': case 'dapo': return total / tokens;
    case 'dr_grpo': return total / (B * (o.maxLength ?? L));
  }
}

/** A random batch of `groups` groups of `G` rollouts, lengths 1..L, for the fixture policy. */
export function randomBatch(seed: number, o: { groups: number; G: number; L: number; D: number; V: number; binary?: boolean }): LearnerBatch<FixtureInputs> {
  const r = rng(seed);
  const B = o.groups * o.G, L = o.L;
  const obs = Float32Array.from({ length: B * L * o.D }, () => r() * 2 - 1);
  const actions = new Int32Array(B * L), mask = new Float32Array(B * L), behaviourLogp = new Float32Array(B * L);
  const rewards = new Float32Array(B), groups = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    groups[b] = Math.floor(b / o.G);
    const len = 1 + Math.floor(r() * L);
    for (let t = 0; t < len; t++) {
      mask[b * L + t] = 1;
      actions[b * L + t] = Math.floor(r() * o.V);
      // A behaviour log-prob somewhere around the policy's: ratios land on both sides of the clip range.
      behaviourLogp[b * L + t] = -Math.log(o.V) + (r() - 0.5) * 1.2;
    }
    rewards[b] = o.binary ? (r() < 0.5 ? 1 : 0) : r() * 2;
  }
  return { inputs: { obs, B, L }, B, L, actions, mask, behaviourLogp, rewards, groups };
}
