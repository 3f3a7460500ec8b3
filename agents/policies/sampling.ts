/**
 * Choosing one action from one row of logits: greedy, temperature, top-k (Fan et al. 2018) and
 * nucleus / top-p (Holtzman et al. 2019). Runs in plain TypeScript on the actor thread.
 */
import { logSoftmaxRow } from './jsmath.ts';
import type { Rng } from './rng.ts';
import { parse, type Input, type Schema } from '../../core/schema.ts';

/** How to turn logits into an action (the call options of `act` and `sampler`). */
export const SAMPLING_OPTIONS = {
  greedy: { type: 'boolean', default: false, doc: 'Take the argmax (ties → lowest id). Overrides the other options.' },
  temperature: { type: 'number', default: 1, min: 0, exclusiveMin: true, doc: "Divide logits by this before softmax. 1 = the policy's own distribution." },
  topK: { type: 'int', default: 0, min: 0, doc: 'Keep only the k most likely actions (0 = off).' },
  topP: { type: 'number', default: 1, min: 0, exclusiveMin: true, max: 1, doc: 'Keep the smallest set of most likely actions whose mass reaches p (1 = off).' },
} as const satisfies Schema;

export type SamplingOptions = Input<typeof SAMPLING_OPTIONS>;

/** Defaults filled, bad values named (`path` prefixes the keys in errors). */
export function validateSamplingOptions(o: SamplingOptions = {}, path = 'sampling'): Required<SamplingOptions> {
  return parse(SAMPLING_OPTIONS, o, path);
}

export interface Choice {
  action: number;
  /** log-prob of `action` under the distribution it was drawn from (temperature/top-k/top-p applied). */
  logp: number;
  /** log-prob of `action` under the policy itself: log softmax(logits), what `evaluate` scores. */
  modelLogp: number;
}

/** exp(z_j − max z) of the row being sampled (reused: no allocation per call). */
let scratch = new Float64Array(256);

/**
 * Sampling without truncation in one pass of exp: e_j = exp(z_j − max z), draw from e / Σe,
 * logp = z_a − max − log Σe with z = logits / T (the same numbers as log-softmax then exp, to rounding).
 */
function sampleFull(logits: Float32Array, offset: number, n: number, invT: number, rng: Rng): { action: number; logp: number } {
  if (scratch.length < n) scratch = new Float64Array(n);
  const e = scratch;
  let max = -Infinity;
  for (let j = 0; j < n; j++) { const z = logits[offset + j]! * invT; if (z > max) max = z; }
  let total = 0;
  for (let j = 0; j < n; j++) { const v = Math.exp(logits[offset + j]! * invT - max); e[j] = v; total += v; }
  let u = rng() * total;
  let action = n - 1;
  for (let j = 0; j < n; j++) { u -= e[j]!; if (u < 0) { action = j; break; } }
  return { action, logp: logits[offset + action]! * invT - max - Math.log(total) };
}

/** log softmax(logits)[action] of one row. */
function modelLogProb(logits: Float32Array, offset: number, n: number, action: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j]! - max);
  return logits[offset + action]! - max - Math.log(sum);
}

/** Pick one action from logits[offset .. offset+n). */
export function chooseAction(logits: Float32Array, offset: number, n: number, o: Required<SamplingOptions>, rng: Rng): Choice {
  if (!o.greedy && o.topP === 1 && (o.topK === 0 || o.topK >= n)) {
    const { action, logp } = sampleFull(logits, offset, n, 1 / o.temperature, rng);
    return { action, logp, modelLogp: o.temperature === 1 ? logp : modelLogProb(logits, offset, n, action) };
  }
  const model = logSoftmaxRow(logits, offset, n);
  if (o.greedy) {
    let best = 0;
    for (let j = 1; j < n; j++) if (model[j]! > model[best]!) best = j;
    return { action: best, logp: model[best]!, modelLogp: model[best]! };
  }
  const plain = o.temperature === 1 && o.topK === 0 && o.topP === 1;
  const lp = plain ? model : logSoftmaxRow(logits, offset, n, 1 / o.temperature);
  let keep: number[] | undefined;
  if (o.topK > 0 && o.topK < n || o.topP < 1) {
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => lp[b]! - lp[a]! || a - b);
    let cut = o.topK > 0 ? Math.min(o.topK, n) : n;
    if (o.topP < 1) {
      let mass = 0;
      for (let r = 0; r < cut; r++) {
        mass += Math.exp(lp[order[r]!]!);
        if (mass >= o.topP) { cut = r + 1; break; }
      }
    }
    keep = order.slice(0, cut);
  }
  const ids = keep ?? null;
  const count = ids ? ids.length : n;
  let total = 0;
  for (let r = 0; r < count; r++) total += Math.exp(lp[ids ? ids[r]! : r]!);
  let u = rng() * total;
  let action = ids ? ids[count - 1]! : n - 1;
  for (let r = 0; r < count; r++) {
    const j = ids ? ids[r]! : r;
    u -= Math.exp(lp[j]!);
    if (u < 0) { action = j; break; }
  }
  return { action, logp: lp[action]! - Math.log(total), modelLogp: model[action]! };
}
