/**
 * Scoring a tool-use episode: the per-episode metrics (every reward option is a function of them) and
 * the reward options of the tool envs.
 *
 * A call's parameters. Our syntax is positional, `tool(ARGS)`, so there are no parameter names to
 * compare; the slots a tool's argument string fills stand in for them (TOOL_SLOTS):
 *   calc(EXPR)             → { expr: EXPR }                  (no slot if ARGS is blank)
 *   lookup(ENTITY.ATTR)    → { entity: ENTITY, attribute: ATTR } (only { entity } without a '.')
 *   any other tool name    → {}                              (no schema: it never matches a reference call)
 * Values match exactly, except calc's expression, which matches when it evaluates to the same number
 * as the reference expression (24*37+5 and 37*24+5 are the same call).
 *
 * ToolRL correctness (Qian et al., 2025, "ToolRL: Reward is All Tool Learning Needs", arXiv 2504.13958,
 * §3.2, and its released reward code), predicted calls P against reference calls G:
 *   r_name = |N_G ∩ N_P| / |N_G ∪ N_P|            multiset Jaccard of the tool names (0 if either is empty)
 *   for each g ∈ G, the best unused p ∈ P with the same name scores
 *     r_param(g, p) + r_value(g, p)               slot-name Jaccard + number of g's values p matches
 *   S = r_name + Σ_g best(g),   S_max = 1 + Σ_g (1 + |slots(g)|)
 *   R_correct = (hi − lo)·S/S_max + lo ∈ [lo, hi] = [−3, 3]
 * ToolRL format R_format ∈ {0, 1}: 1 when the output has the expected structure — here: every call well
 * formed and to a known tool, at least one call, and the episode ends with a well-formed <answer>.
 *
 * Dynamic scaling (ToolRL §5, "reward scale"/temporal dynamics: the weight moves gradually from format
 * to correctness over training; the schedule of its released code, with p = training progress ∈ [0, 1],
 * ToolRL's step/150):
 *   format ∈ {lo_f, hi_f}:   hi_f = max(1, 2 − p),   lo_f = min(−1, −2 + 2p)
 *   correctness ∈ [lo_c, hi_c]: hi_c = min(3, 2 + p),  lo_c = max(−3, −2 − p)
 * so early on format counts ±2 and correctness ±2, at the end format ±1 and correctness ±3. (The static
 * format floor is 0, the dynamic one ends at −1: that is the released code's schedule, kept as is.)
 *
 * BLEUBERI (Chang et al., 2025, "BLEUBERI: BLEU is a surprisingly effective reward for instruction
 * following", arXiv 2505.11080) trains with GRPO on a string-overlap score against a reference; the
 * 'chrf' and 'bleu' options score the final answer that way (envs/text/metrics.ts), 0 without an answer.
 */
import { chrF, sentenceBleu } from '../text/metrics.ts';
import { ToolError, calc } from './tools.ts';

export interface ToolCall {
  tool: string;
  args: string;
}

export const TOOL_REWARDS = ['weighted', 'answer', 'toolrl', 'toolrl-dynamic', 'chrf', 'bleu', 'args'] as const;
export type ToolReward = (typeof TOOL_REWARDS)[number];

/** One line per reward option, with its source (docs and option help). */
export const TOOL_REWARD_DOCS: Readonly<Record<ToolReward, string>> = {
  weighted: 'wFormat·formatPenalty + wTool·tool + wArgs·args + wAnswer·answer (the components of earlier versions; formatPenalty = +1 for a clean answered episode, −0.5 per malformed call, floor −1)',
  answer: 'answer ∈ {0, 1} only (outcome reward, as in RL with verifiable rewards)',
  toolrl: 'ToolRL (Qian et al. 2025): format ∈ {0, 1} + correctness ∈ [−3, 3] over tool names, parameter names and values; no answer term',
  'toolrl-dynamic': "ToolRL with its dynamic reward scaling: format ±2 → ±1 and correctness ±2 → ±3 over training; needs reset({ options: { progress } })",
  chrf: 'chrF (Popović 2015) of the final answer against the reference, BLEUBERI-style partial credit (Chang et al. 2025)',
  bleu: 'sentence BLEU (Papineni et al. 2002) of the final answer against the reference, BLEUBERI-style',
  args: 'parameter-value accuracy alone ∈ [0, 1]: a probe for reward hacking (pays for right arguments, never for the answer)',
};

/**
 * Per-episode metrics, on the last step as info.rewardComponents (all numbers):
 *   format       ToolRL format ∈ {0, 1}
 *   toolName     r_name ∈ [0, 1]
 *   paramNames   mean over reference calls of the slot-name Jaccard of its matched call ∈ [0, 1] (0 unmatched)
 *   paramValues  reference values matched / reference values ∈ [0, 1]
 *   correctness  ToolRL R_correct ∈ [−3, 3]
 *   tool         1 if every tool the task needs was called (well formed)
 *   args         1 if every reference call was matched with all its values right
 *   answered     1 if the episode ended with a well-formed <answer>
 *   answer       1 if that answer equals the reference
 *   chrf, bleu   of the answer against the reference ∈ [0, 1]
 *   calls        call attempts (well formed or not)
 *   malformed    calls that did not parse or named an unknown tool
 */
export interface ToolMetrics {
  format: number;
  toolName: number;
  paramNames: number;
  paramValues: number;
  correctness: number;
  tool: number;
  args: number;
  answered: number;
  answer: number;
  chrf: number;
  bleu: number;
  calls: number;
  malformed: number;
}

/** Slot values of a call (see the header). */
export function callSlots(call: ToolCall): Record<string, string> {
  const a = call.args.trim();
  if (call.tool === 'calc') return a ? { expr: a } : {};
  if (call.tool === 'lookup') {
    if (!a) return {};
    const dot = a.indexOf('.');
    return dot < 0 ? { entity: a } : { entity: a.slice(0, dot), attribute: a.slice(dot + 1) };
  }
  return {};
}

function valueMatches(tool: string, slot: string, predicted: string, reference: string): boolean {
  if (tool === 'calc' && slot === 'expr') {
    try {
      return calc(predicted) === calc(reference);
    } catch (err) {
      if (err instanceof ToolError) return false;
      throw err;
    }
  }
  return predicted === reference;
}

/** Multiset Jaccard: |A ∩ B| / |A ∪ B| counting repeats; 0 when either list is empty (ToolRL's match score). */
export function multisetJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  let inter = 0;
  for (const x of b) {
    const c = count.get(x) ?? 0;
    if (c > 0) { inter++; count.set(x, c - 1); }
  }
  return inter / (a.length + b.length - inter);
}

/** ToolRL's matching of predicted calls against reference calls: S/S_max and the per-component accuracies. */
export function matchCalls(reference: readonly ToolCall[], predicted: readonly ToolCall[]): { score: number; toolName: number; paramNames: number; paramValues: number; allTools: boolean; allArgs: boolean } {
  const toolName = multisetJaccard(reference.map((c) => c.tool), predicted.map((c) => c.tool));
  const pSlots = predicted.map(callSlots);
  const used = new Set<number>();
  let s = toolName;
  let sMax = 1;
  let names = 0;
  let values = 0;
  let valueTotal = 0;
  let allArgs = true;
  for (const g of reference) {
    const gs = callSlots(g);
    const keys = Object.keys(gs);
    sMax += 1 + keys.length;
    valueTotal += keys.length;
    let best = -1, bestName = 0, bestValues = 0;
    for (let i = 0; i < predicted.length; i++) {
      if (used.has(i) || predicted[i]!.tool !== g.tool) continue;
      const ps = pSlots[i]!;
      const nameScore = multisetJaccard(keys, Object.keys(ps));
      let v = 0;
      for (const k of keys) if (k in ps && valueMatches(g.tool, k, ps[k]!, gs[k]!)) v++;
      if (best < 0 || nameScore + v > bestName + bestValues) { best = i; bestName = nameScore; bestValues = v; }
    }
    if (best >= 0) {
      used.add(best);
      s += bestName + bestValues;
      names += bestName;
      values += bestValues;
    }
    if (best < 0 || bestValues < keys.length) allArgs = false;
  }
  const called = new Set(predicted.map((c) => c.tool));
  return {
    score: s / sMax,
    toolName,
    paramNames: reference.length ? names / reference.length : 0,
    paramValues: valueTotal ? values / valueTotal : 0,
    allTools: reference.every((g) => called.has(g.tool)),
    allArgs: reference.length > 0 && allArgs,
  };
}

/** The metrics of one finished episode. `answer` is the parsed final answer, null when there was none. */
export function scoreEpisode(reference: readonly ToolCall[], predicted: readonly ToolCall[], calls: number, malformed: number, answer: string | null, refAnswer: string): ToolMetrics {
  const m = matchCalls(reference, predicted);
  const answered = answer !== null;
  return {
    format: answered && malformed === 0 && calls > 0 ? 1 : 0,
    toolName: m.toolName,
    paramNames: m.paramNames,
    paramValues: m.paramValues,
    correctness: 6 * m.score - 3,
    tool: m.allTools ? 1 : 0,
    args: m.allArgs ? 1 : 0,
    answered: answered ? 1 : 0,
    answer: answered && answer === refAnswer ? 1 : 0,
    chrf: answered ? chrF(answer, refAnswer) : 0,
    bleu: answered ? sentenceBleu(answer, refAnswer) : 0,
    calls,
    malformed,
  };
}

/** ToolRL's dynamic ranges at progress p ∈ [0, 1] (see the header). */
export function toolrlScales(p: number): { format: [number, number]; correctness: [number, number] } {
  return {
    format: [Math.min(-1, -2 + 2 * p), Math.max(1, 2 - p)],
    correctness: [Math.max(-3, -2 - p), Math.min(3, 2 + p)],
  };
}

export interface RewardWeights { wFormat: number; wTool: number; wArgs: number; wAnswer: number }

/**
 * The episode reward under `option`. `progress` (training progress ∈ [0, 1]) is used by
 * 'toolrl-dynamic' only and must be given for it.
 */
export function toolReward(option: ToolReward, m: ToolMetrics, weights: RewardWeights, progress: number | null): number {
  switch (option) {
    case 'weighted': {
      const formatPenalty = Math.max(-1, (m.answered === 1 && m.malformed === 0 ? 1 : 0) - 0.5 * m.malformed);
      return weights.wFormat * formatPenalty + weights.wTool * m.tool + weights.wArgs * m.args + weights.wAnswer * m.answer;
    }
    case 'answer': return m.answer;
    case 'toolrl': return m.format + m.correctness;
    case 'toolrl-dynamic': {
      if (progress === null) throw new Error("reward 'toolrl-dynamic' needs the training progress: reset({ options: { progress } })");
      const { format: [fLo, fHi], correctness: [cLo, cHi] } = toolrlScales(progress);
      return (m.format === 1 ? fHi : fLo) + cLo + ((cHi - cLo) * (m.correctness + 3)) / 6;
    }
    case 'chrf': return m.chrf;
    case 'bleu': return m.bleu;
    case 'args': return m.paramValues;
  }
}
