/**
 * Token Hidden Reward (THR) and the THR reweighting of GRPO advantages.
 * Source: Deng et al., "Token Hidden Reward: Steering Exploration-Exploitation in Group Relative Deep
 * Reinforcement Learning" (arXiv 2510.03669), on the NTHR analysis of arXiv 2505.18830.
 *
 * Under the unconstrained-features view the gradient of log π(y|h) with respect to the unembedding W is
 * (e_y − π(·|h)) hᵀ, so training on token t moves the log-likelihood of token s by ∝ (g_t·g_s)(h_t·h_s).
 * Per group, with g_t = e_{y_t} − π_T(·|h_t) (π_T = softmax(logits / T)) and C the tokens of the group's
 * correct responses:
 *     M     = Σ_{s∈C} g_s h_sᵀ                         (|V| × d)
 *     THR_t = (1/T²) · c_t · Â_t · g_tᵀ M h_t = (1/T²) · c_t · Â_t · Σ_{s∈C} (g_t·g_s)(h_t·h_s)
 * (at temperature T, ∇_W log π_T(y|h) = (1/T)·g hᵀ, hence 1/T² in the product of two gradients: THR stays the
 * first-order change of the correct set's log-likelihood, so an absolute τ means the same at every T).
 * THR > 0: the token's update raises the likelihood of the correct responses (exploitation);
 * THR < 0: it lowers it (exploration). Computed from the learner's first forward pass (no gradient), or from
 * the behaviour policy's (thr.source 'behaviour').
 *
 * Reweighting (the project's documented choice; see docs/algorithms.md):
 *     weight_t = 1 + p·sign(THR_t) where token t is selected (thr-select.ts), else 1 ('reweight') or 0 ('thr-only');
 *     Â_t ← weight_t·Â_t
 */
import type { ThrMode } from './config.ts';
import { groupMembers } from './advantages.ts';

export interface ThrInputs {
  B: number;
  L: number;
  /** V: number of actions / vocabulary size. */
  V: number;
  /** d: hidden width. */
  d: number;
  /** [B*L*V] π(·|h_t) from the first forward pass. */
  probs: Float32Array;
  /** [B*L*d] last-layer hidden states h_t. */
  hidden: Float32Array;
  /** [B*L] chosen actions y_t. */
  actions: Int32Array;
  /** [B*L] 1 for real tokens. */
  mask: ArrayLike<number>;
  /** [B] group of each rollout. */
  groups: Int32Array;
  /** [B] 1 if the rollout belongs to C. */
  correct: Uint8Array;
  /** [B*L] token advantages Â_t (before reweighting). */
  advantages: Float32Array;
  /** [B*L] aggregation coefficients c_t. */
  coef: Float32Array;
  /** The temperature T the probabilities were taken at (THR carries 1/T²). Default 1. */
  temperature?: number;
}

/**
 * Which rollouts count as correct. Explicit flags win; else `reward > threshold`; with a null threshold
 * (graded rewards) a rollout is correct when its return is above its group's mean (positive outcome advantage).
 */
export function correctRollouts(rewards: ArrayLike<number>, groups: Int32Array, threshold: number | null, explicit?: Uint8Array): Uint8Array {
  const B = groups.length;
  const out = new Uint8Array(B);
  if (explicit) {
    if (explicit.length !== B) throw new Error(`correctRollouts: 'correct' has ${explicit.length} entries, expected B = ${B}`);
    for (let b = 0; b < B; b++) out[b] = explicit[b] ? 1 : 0;
    return out;
  }
  if (threshold !== null) {
    for (let b = 0; b < B; b++) out[b] = rewards[b] > threshold ? 1 : 0;
    return out;
  }
  for (const idx of groupMembers(groups)) {
    let mean = 0;
    for (const b of idx) mean += rewards[b];
    mean /= idx.length;
    // Relative tolerance so that float noise in an all-equal group does not mark members correct.
    const tol = 1e-6 * Math.max(1, Math.abs(mean));
    for (const b of idx) out[b] = rewards[b] - mean > tol ? 1 : 0;
  }
  return out;
}

/**
 * Which of the two equivalent forms is cheaper for a group of n target tokens and nc correct-response tokens.
 * Operation counts: outer (n + nc)·V·d; Gram n·nc·(2V + d) (g_s is rebuilt per pair). The Gram loop's
 * constant is about 2× worse (measured by `npm run bench -- learner`), hence the factor.
 */
export function thrForm(n: number, nc: number, V: number, d: number): 'outer' | 'gram' {
  return (n + nc) * V * d <= 2 * n * nc * (2 * V + d) ? 'outer' : 'gram';
}

/**
 * THR_t for every position of the batch, [B*L] (0 on padding, for tokens with Â_t·c_t = 0, and for groups
 * without a correct response). Per group it uses the cheaper of the outer-product form (build M, then
 * g_tᵀ(M h_t)) and the Gram form Σ_s (g_t·g_s)(h_t·h_s); both give the same number.
 * `out.influence`, when given ([B*L]), receives the advantage-free influence I_t = THR_t / Â_t =
 * (1/T²)·c_t·Σ_{s∈C}(g_t·g_s)(h_t·h_s) of every token THR is computed for (NTHR's threshold compares these).
 */
export function tokenHiddenReward(x: ThrInputs, form?: 'outer' | 'gram', out: { influence?: Float32Array } = {}): Float32Array {
  const { B, L, V, d, probs, hidden, actions, mask, groups, correct, advantages, coef } = x;
  const invT2 = 1 / (x.temperature ?? 1) ** 2;
  const influence = out.influence;
  if (influence && influence.length !== B * L) throw new Error(`tokenHiddenReward: influence has ${influence.length} entries, expected B*L = ${B * L}`);
  const N = B * L;
  if (probs.length !== N * V) throw new Error(`tokenHiddenReward: probs has ${probs.length} entries, expected B*L*V = ${N * V}`);
  if (hidden.length !== N * d) throw new Error(`tokenHiddenReward: hidden has ${hidden.length} entries, expected B*L*d = ${N * d}`);
  for (const [name, arr] of [['actions', actions], ['mask', mask], ['advantages', advantages], ['coef', coef]] as const) {
    if (arr.length !== N) throw new Error(`tokenHiddenReward: ${name} has ${arr.length} entries, expected B*L = ${N}`);
  }
  const thr = new Float32Array(N);
  const g = new Float64Array(V);
  const u = new Float64Array(V);
  const h = new Float64Array(d);
  for (const rows of groupMembers(groups)) {
    const targets: number[] = []; // tokens whose THR we need (Â·c ≠ 0)
    const cTokens: number[] = []; // tokens of the correct responses
    for (const b of rows) {
      for (let t = 0; t < L; t++) {
        const k = b * L + t;
        if (!(mask[k] > 0)) continue;
        if (advantages[k] * coef[k] !== 0) targets.push(k);
        if (correct[b]) cTokens.push(k);
      }
    }
    if (targets.length === 0 || cTokens.length === 0) continue;
    const useForm = form ?? thrForm(targets.length, cTokens.length, V, d);
    if (useForm === 'outer') {
      // M = Σ_{s∈C} g_s h_sᵀ, row-major V × d. g_s = e_y − p: rank-one updates split into −p·hᵀ and +e_y·hᵀ.
      const M = new Float64Array(V * d);
      for (const s of cTokens) {
        const pOff = s * V, hOff = s * d, y = actions[s];
        for (let j = 0; j < d; j++) h[j] = hidden[hOff + j];
        for (let v = 0; v < V; v++) {
          const gv = (v === y ? 1 : 0) - probs[pOff + v];
          if (gv === 0) continue;
          const row = v * d;
          for (let j = 0; j < d; j++) M[row + j] += gv * h[j];
        }
      }
      for (const t of targets) {
        const pOff = t * V, hOff = t * d, y = actions[t];
        for (let j = 0; j < d; j++) h[j] = hidden[hOff + j]; // one float32→float64 read per entry, reused V times
        let acc = 0;
        for (let v = 0; v < V; v++) {
          const gv = (v === y ? 1 : 0) - probs[pOff + v];
          if (gv === 0) continue;
          const row = v * d;
          let mh = 0;
          for (let j = 0; j < d; j++) mh += M[row + j] * h[j];
          acc += gv * mh;
        }
        thr[t] = invT2 * coef[t] * advantages[t] * acc;
        if (influence) influence[t] = invT2 * coef[t] * acc;
      }
    } else {
      for (const t of targets) {
        const pOff = t * V, hOff = t * d, y = actions[t];
        for (let v = 0; v < V; v++) g[v] = (v === y ? 1 : 0) - probs[pOff + v];
        let acc = 0;
        for (const s of cTokens) {
          const qOff = s * V, sOff = s * d, ys = actions[s];
          let gg = 0;
          for (let v = 0; v < V; v++) { u[v] = (v === ys ? 1 : 0) - probs[qOff + v]; gg += g[v] * u[v]; }
          if (gg === 0) continue;
          let hh = 0;
          for (let j = 0; j < d; j++) hh += hidden[hOff + j] * hidden[sOff + j];
          acc += gg * hh;
        }
        thr[t] = invT2 * coef[t] * advantages[t] * acc;
        if (influence) influence[t] = invT2 * coef[t] * acc;
      }
    }
  }
  return thr;
}

/**
 * weight_t for every position ([B*L], 1 on padding): 1 + p·sign(THR_t) on selected tokens, else 1 ('reweight')
 * or 0 ('thr-only'). Selected = `selected[k]` when given (thr-select.ts), else |THR_t| > τ.
 * p = 0 in 'reweight' mode gives all ones.
 */
export function thrWeights(thr: Float32Array, mask: ArrayLike<number>, opts: { p: number; mode: ThrMode; tau?: number; selected?: Uint8Array }): Float32Array {
  const w = new Float32Array(thr.length);
  const tau = opts.tau ?? 0;
  for (let k = 0; k < thr.length; k++) {
    if (!(mask[k] > 0)) { w[k] = 1; continue; }
    const a = thr[k];
    const sel = opts.selected ? opts.selected[k] === 1 : Math.abs(a) > tau;
    if (sel) w[k] = 1 + opts.p * Math.sign(a);
    else w[k] = opts.mode === 'thr-only' ? 0 : 1;
  }
  return w;
}

export interface ThrStats {
  /** Fraction of real tokens with THR > 0. */
  thrPositive: number;
  /** Fraction of real tokens with THR < 0. */
  thrNegative: number;
  /** Fraction of real tokens selected as dominant (the ones the reweighting touches; |THR| > τ without a selection). */
  thrSelected: number;
  /** Mean |THR| over real tokens. */
  thrAbsMean: number;
  /** Largest |THR| in the batch. */
  thrAbsMax: number;
}

export function thrStats(thr: Float32Array, mask: ArrayLike<number>, sel: { tau?: number; selected?: Uint8Array } = {}): ThrStats {
  let n = 0, pos = 0, neg = 0, above = 0, abs = 0, max = 0;
  const tau = sel.tau ?? 0;
  for (let k = 0; k < thr.length; k++) {
    if (!(mask[k] > 0)) continue;
    n++;
    const a = thr[k];
    if (a > 0) pos++;
    else if (a < 0) neg++;
    const m = Math.abs(a);
    if (sel.selected ? sel.selected[k] === 1 : m > tau) above++;
    abs += m;
    if (m > max) max = m;
  }
  const f = (c: number) => (n ? c / n : 0);
  return { thrPositive: f(pos), thrNegative: f(neg), thrSelected: f(above), thrAbsMean: f(abs), thrAbsMax: max };
}

/**
 * Fraction of real tokens whose THR sign differs between two computations (e.g. behaviour vs learner
 * weights), among the tokens where at least one of them is non-zero. 0 when there are none.
 */
export function signDisagreement(a: Float32Array, b: Float32Array, mask: ArrayLike<number>): number {
  let n = 0, diff = 0;
  for (let k = 0; k < a.length; k++) {
    if (!(mask[k] > 0) || (a[k] === 0 && b[k] === 0)) continue;
    n++;
    if (Math.sign(a[k]) !== Math.sign(b[k])) diff++;
  }
  return n ? diff / n : 0;
}
