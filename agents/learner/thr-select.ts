/**
 * Dominant-token selection for THR-weighted GRPO: which tokens the reweighting (or 'thr-only') acts on.
 * The THR paper (Deng et al., arXiv 2510.03669) reports that a small set of tokens with large |THR| dominates
 * training and that its threshold follows an influence-based heuristic; the NTHR paper by the same group
 * (arXiv 2505.18830) gives that heuristic: per group, τ = β · min over the correct responses of their mean
 * token influence on the correct set, β = 1. Three modes (`thr.threshold`), docs/algorithms.md §3:
 *
 *   absolute  selected_t = |THR_t| > τ                                          (τ in THR units)
 *   relative  selected_t = |THR_t| > τ · mean{ |THR_s| : THR_s ≠ 0 }           (batch-wide, scale-free)
 *   nthr      selected_t = |I_t| > τ_g,  τ_g = max(0, τ · min_{i∈C_g} mean_{s∈o_i} I_s)   (per group g)
 *
 * with I_t = THR_t / Â_t the token's advantage-free influence on its group's correct set (thr.ts), so the
 * NTHR threshold compares like with like for tokens of correct (Â > 0) and incorrect (Â < 0) responses.
 * Only tokens with THR ≠ 0 can be selected (THR = 0: no correct response in the group, or Â_t·c_t = 0).
 */
import type { ThrMode, ThrThreshold } from './config.ts';
import { groupMembers } from './advantages.ts';
import { thrWeights } from './thr.ts';

export interface SelectionInputs {
  /** [B*L] THR_t. */
  thr: Float32Array;
  /** [B*L] advantage-free influence I_t (needed by 'nthr'). */
  influence: Float32Array | null;
  mask: ArrayLike<number>;
  /** [B] group of each rollout. */
  groups: Int32Array;
  /** [B] THR's correct set. */
  correct: Uint8Array;
  L: number;
}

export interface Selection {
  /** [B*L] 1 for the selected (dominant) tokens. */
  selected: Uint8Array;
  /**
   * The threshold applied: in THR units for 'absolute' and 'relative'; for 'nthr' the mean of the groups'
   * τ_g (influence units) over the groups with a correct response.
   */
  tau: number;
}

export function selectDominantTokens(x: SelectionInputs, o: { threshold: ThrThreshold; tau: number }): Selection {
  const { thr, mask, L } = x;
  const selected = new Uint8Array(thr.length);
  if (o.threshold !== 'nthr') {
    let tau = o.tau;
    if (o.threshold === 'relative') {
      let n = 0, abs = 0;
      for (let k = 0; k < thr.length; k++) if (mask[k] > 0 && thr[k] !== 0) { n++; abs += Math.abs(thr[k]); }
      tau = n ? (o.tau * abs) / n : 0;
    }
    for (let k = 0; k < thr.length; k++) if (mask[k] > 0 && thr[k] !== 0 && Math.abs(thr[k]) > tau) selected[k] = 1;
    return { selected, tau };
  }
  const infl = x.influence;
  if (!infl) throw new Error("selectDominantTokens: threshold 'nthr' needs the influence I_t (tokenHiddenReward's out.influence)");
  let tauSum = 0, tauGroups = 0;
  for (const rows of groupMembers(x.groups)) {
    let minMean = Infinity;
    for (const b of rows) {
      if (!x.correct[b]) continue;
      let n = 0, s = 0;
      for (let t = 0; t < L; t++) { const k = b * L + t; if (mask[k] > 0 && thr[k] !== 0) { n++; s += infl[k]; } }
      if (n) minMean = Math.min(minMean, s / n);
    }
    if (minMean === Infinity) continue; // no correct response with THR: nothing to select in this group
    const tauG = Math.max(0, o.tau * minMean);
    tauSum += tauG;
    tauGroups++;
    for (const b of rows) {
      for (let t = 0; t < L; t++) {
        const k = b * L + t;
        if (mask[k] > 0 && thr[k] !== 0 && Math.abs(infl[k]) > tauG) selected[k] = 1;
      }
    }
  }
  return { selected, tau: tauGroups ? tauSum / tauGroups : 0 };
}

/** THR's effect on the advantages: the selection, the weights and Â_t ← weight_t·Â_t. */
export function thrWeightedAdvantages(
  tokenAdv: Float32Array, x: SelectionInputs, o: { threshold: ThrThreshold; tau: number; p: number; mode: ThrMode },
): Selection & { weights: Float32Array; advantages: Float32Array } {
  const sel = selectDominantTokens(x, o);
  const weights = thrWeights(x.thr, x.mask, { p: o.p, mode: o.mode, selected: sel.selected });
  const advantages = new Float32Array(tokenAdv.length);
  for (let k = 0; k < advantages.length; k++) advantages[k] = tokenAdv[k] * weights[k];
  return { ...sel, weights, advantages };
}
