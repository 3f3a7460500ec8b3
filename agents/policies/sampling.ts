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

/** Pick one action from logits[offset .. offset+n). */
export function chooseAction(logits: Float32Array, offset: number, n: number, o: Required<SamplingOptions>, rng: Rng): Choice {
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
