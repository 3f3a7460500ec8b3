/**
 * The tool-use reward-design suites (issue #17, docs/RESULTS.md §3), declared before any run (the
 * experiment protocol: claim, primary metric, arms, budget, seeds, what counts against).
 *
 *   tool-reward         6 reward options, plain GRPO, from the strong warm start, at its temperature
 *   tool-reward-weak    the same 6 arms from the weak warm start, at its temperature
 *   tool-reward-thr     plain GRPO vs THR (p = +0.5) for the best reward of tool-reward (declared rule below)
 *   tool-reward-weak-thr  the same for tool-reward-weak
 *
 * Env: ToolMix-v0 with chainFraction 1/3 (calc, lookup and two-call chain problems, a third each) and
 * maxTurns 3 (one spare call). ToolCalc-v0 alone cannot test ToolRL's decomposition: it has one tool and
 * one argument slot, so the tool-name and parameter-name terms would be constant. The warm starts are
 * SFT checkpoints on this env (agents/checkpoints/README.md): toolmix-chain-v0 ("strong", the shipped warm
 * start of this study) and toolmix-chain-weak-v0 (the same SFT run stopped earlier).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Arm, Declaration, Suite } from './suites.ts';
import type { SuiteResults } from './run.ts';
import type { ToolCheckpointEval } from './eval-tools.ts';
import { reportTools } from './report-tools.ts';

type Plain = Record<string, unknown>;

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The env of every arm. maxLength 148 (not the automatic 159): the learner packs a batch as left-padded
 * prompts + right-padded continuations, so a batch spans (longest prompt) + (longest continuation) tokens
 * = at most 22 + (maxLength − 11) here (prompts are 11–22 tokens), which must fit the warm starts'
 * context of 160. The longest demonstration is 143 tokens.
 */
export const TOOL_STUDY_ENV = { id: 'ToolMix-v0', options: { chainFraction: 1 / 3, maxTurns: 3, maxLength: 148 } } as const;

/**
 * The two warm starts and their sampling temperatures, fixed once, before any training run, from the
 * temperature scan on 200 held-out problems × 8 samples (agents/checkpoints/README.md, raw:
 * docs/results/tool-warmstart-{strong,weak}.json). Rule: the highest T of {1, 0.7, 0.5, 0.3} whose
 * sampled success has its 95% CI inside 10–40%. Strong: T = 1 gives 11.8% [9.3, 14.6] (CI not inside),
 * T = 0.7 gives 27.2% [22.9, 31.6] → 0.7. Weak: no T reaches 10% (best 9.7% at T = 0.2: at low T the
 * samples approach its 10.5% greedy success); it trains at the strong warm start's T = 0.7 (sampled 5.8%
 * [3.6, 8.5], the "rare success" regime the weak warm start is for), so the two warm starts differ in the
 * starting policy only.
 */
export const TOOL_WARM_STARTS = {
  strong: { checkpoint: 'agents/checkpoints/toolmix-chain-v0.safetensors', temperature: 0.7 },
  weak: { checkpoint: 'agents/checkpoints/toolmix-chain-weak-v0.safetensors', temperature: 0.7 },
} as const;
export type ToolWarmStart = keyof typeof TOOL_WARM_STARTS;

/** Reward arms in declared order (the order breaks ties of the best-reward rule). */
export const TOOL_REWARD_ARMS = [
  ['answer', 'answer only (outcome reward)'],
  ['toolrl', 'ToolRL: format + correctness'],
  ['toolrl-dynamic', 'ToolRL with dynamic scaling'],
  ['chrf', 'chrF of the answer (BLEUBERI-style)'],
  ['bleu', 'BLEU of the answer (BLEUBERI-style)'],
  ['args', 'arguments only (hacking probe)'],
] as const;

const SOURCES = [
  'ToolRL — Qian et al. 2025, "ToolRL: Reward is All Tool Learning Needs", arXiv 2504.13958 (decomposed reward, +15–17% from reward design; dynamic scaling in its reward-scale study)',
  'BLEUBERI — Chang et al. 2025, "BLEUBERI: BLEU is a surprisingly effective reward for instruction following", arXiv 2505.11080 (string overlap with a reference as a GRPO reward)',
];

const BUDGET = { updates: 100, checkpointEvery: 50 };
/** The smoke test: 2 updates of 4 prompts (a quarter of an update's episodes), tiny evaluations. */
const QUICK = { updates: 2, checkpointEvery: 2 };
const QUICK_GROUPS_PER_UPDATE = 4;
/** 8 prompts × G = 8 per update: 6400 episodes per run. */
const GROUPS_PER_UPDATE = 8;
const GROUP_SIZE = 8;

function baseConfig(ws: ToolWarmStart, quick: boolean): Plain {
  const w = TOOL_WARM_STARTS[ws];
  const groups = quick ? QUICK_GROUPS_PER_UPDATE : GROUPS_PER_UPDATE;
  return {
    seed: 1,
    env: { id: TOOL_STUDY_ENV.id, options: { ...TOOL_STUDY_ENV.options }, groupSize: GROUP_SIZE },
    policy: { checkpoint: w.checkpoint },
    learner: { learningRate: 1e-4, thr: { p: 0, tau: 0 }, temperature: w.temperature },
    rewards: null,
    groupsPerUpdate: groups,
    actors: { workers: 1, groupsPerTask: 4 },
    logging: { checkpointEvery: BUDGET.checkpointEvery, episodeEvery: 10 },
  };
}

function rewardArm(suite: string, ws: ToolWarmStart, quick: boolean, reward: string, label: string, p = 0): Arm {
  const base = baseConfig(ws, quick);
  const env = base.env as Plain;
  const name = p === 0 ? reward : `${reward}-thr`;
  return {
    name,
    label: p === 0 ? label : `${label}, THR p = +${p}`,
    config: {
      ...base,
      name: `${suite}-${name}`,
      description: `${suite}: reward '${reward}'${p ? `, THR p = ${p}` : ', plain GRPO'}, warm start ${ws}`,
      env: { ...env, options: { ...(env.options as Plain), reward } },
      learner: { ...(base.learner as Plain), thr: { p, tau: 0 } },
    },
  };
}

function evalOf(ws: ToolWarmStart) {
  const T = TOOL_WARM_STARTS[ws].temperature;
  return {
    full: { problems: 200, n: 4, ks: [1, 4], temperature: T, oodProblems: 200, oodN: 4 },
    quick: { problems: 8, n: 2, ks: [1, 2], temperature: T, oodProblems: 4, oodN: 2 },
    warmStart: TOOL_WARM_STARTS[ws].checkpoint,
    script: 'scripts/experiments/eval-tools.ts',
  };
}

function declaration(ws: ToolWarmStart, arms: string): Declaration {
  return {
    claim: 'Reward design alone changes what GRPO learns in tool use (ToolRL): the decomposed ToolRL reward (format + correctness over tool names, parameter names and values) beats the answer-only outcome reward on held-out success, more so from a weak warm start where answer rewards are rare (shaping matters when the outcome signal is sparse); its dynamic scaling is at least as good as the static one; BLEUBERI-style string overlap of the answer (chrF, BLEU) does as well as exact match; paying for arguments alone raises argument accuracy without raising success (reward hacking).',
    sources: SOURCES,
    primaryMetric: `held-out greedy success (test split, 200 problems, reset seeds 0–199) after update ${BUDGET.updates}, Δ against the warm start and against the answer-only arm; mean over seeds with a 95% bootstrap CI over seeds × problems`,
    secondary: [
      `held-out sampled success at the training temperature (T = ${TOOL_WARM_STARTS[ws].temperature}, n = 4 per problem)`,
      'per-component accuracy, greedy: format, tool name, parameter names, parameter values, answer',
      'malformed-call rate (malformed or unknown-tool calls / call attempts), sampled',
      'out-of-distribution success (ood problems: grouping parentheses in the calc expression, an operator never in training), greedy and sampled',
      'success by problem kind (calc, lookup, two-call chain)',
      'training: fraction of zero-variance groups (learner_zeroStdFraction), sampled success',
    ],
    arms,
    budget: `${BUDGET.updates} updates × ${GROUPS_PER_UPDATE} prompts × G = ${GROUP_SIZE} = ${BUDGET.updates * GROUPS_PER_UPDATE * GROUP_SIZE} episodes per run (the same for every arm); checkpoints at updates ${BUDGET.checkpointEvery} and ${BUDGET.updates}; lr 1e-4, no other tuning`,
    seeds: 5,
    regime: `measured before training on the warm start (regime table): sampled success at T, fraction of problems whose ${4} samples all get the same reward under each option`,
    against: [
      'ToolRL claim: the 95% CI of Δ(toolrl − answer) held-out greedy success includes 0 or lies below it for both warm starts.',
      'Shaping-matters claim: the gain of toolrl over answer is not larger from the weak warm start than from the strong one (CIs of the two differences overlap with the weak one lower or equal).',
      'Dynamic scaling: the CI of Δ(toolrl-dynamic − toolrl) lies below 0.',
      'BLEUBERI: the CI of Δ(chrf − answer) or Δ(bleu − answer) lies below 0.',
      'Hacking probe (a prediction, not a claim): if args raises held-out success as much as answer does, argument accuracy is not separable from success in this env and the probe says nothing.',
    ],
  };
}

function rewardSuite(ws: ToolWarmStart, quick: boolean): Suite {
  const name = ws === 'strong' ? 'tool-reward' : 'tool-reward-weak';
  return {
    name,
    title: `Tool-use reward design on ToolMix-v0 (calc, lookup, two-call chains) from the ${ws} warm start, plain GRPO`,
    arms: TOOL_REWARD_ARMS.map(([r, label]) => rewardArm(name, ws, quick, r, label)),
    budget: BUDGET,
    seeds: 5,
    quick: QUICK,
    eval: evalOf(ws),
    declaration: declaration(ws, `${TOOL_REWARD_ARMS.map(([r]) => r).join(', ')} (plain GRPO, THR off), all from warm start ${ws} at T = ${TOOL_WARM_STARTS[ws].temperature}`),
    report: reportTools,
  };
}

/**
 * The declared best-reward rule: the reward arm of the finished reward suite with the highest mean
 * held-out greedy success after its last update (ties: the earlier arm in TOOL_REWARD_ARMS).
 */
export function bestReward(results: SuiteResults): string {
  let best: string | null = null;
  let bestValue = -Infinity;
  for (const [r] of TOOL_REWARD_ARMS) {
    const jobs = results.jobs.filter((j) => j.arm === r && j.eval && j.eval.length > 0);
    if (jobs.length === 0) continue;
    const v = jobs.reduce((s, j) => s + (j.eval!.at(-1) as ToolCheckpointEval).greedy, 0) / jobs.length;
    if (v > bestValue) { bestValue = v; best = r; }
  }
  if (best === null) throw new Error(`${results.suite}: no finished reward arm with evaluations; cannot pick the best reward`);
  return best;
}

function thrSuite(ws: ToolWarmStart, quick: boolean): Suite {
  const from = ws === 'strong' ? 'tool-reward' : 'tool-reward-weak';
  const name = `${from}-thr`;
  const file = join(ROOT, 'docs', 'results', quick ? 'quick' : '', `${from}.json`);
  if (!existsSync(file)) throw new Error(`${name}: picks the best reward of '${from}' from ${file}, which does not exist; run 'npm run experiment -- ${from}${quick ? ' --quick' : ''}' first`);
  const reward = bestReward(JSON.parse(readFileSync(file, 'utf8')) as SuiteResults);
  const label = TOOL_REWARD_ARMS.find(([r]) => r === reward)![1];
  return {
    name,
    title: `Plain GRPO vs THR for the best reward of ${from} ('${reward}'), ${ws} warm start`,
    // The GRPO arm is the reward suite's run of this reward (the same config): its jobs are reused, not rerun.
    arms: [{ ...rewardArm(name, ws, quick, reward, label), sameRunAs: { suite: from, arm: reward } }, rewardArm(name, ws, quick, reward, label, 0.5)],
    budget: BUDGET,
    seeds: 5,
    quick: QUICK,
    eval: evalOf(ws),
    declaration: {
      ...declaration(ws, `reward '${reward}' (chosen by the declared rule: highest mean held-out greedy success after the last update of ${from}), plain GRPO vs THR p = +0.5`),
      claim: 'THR reweighting (p = +0.5) improves on plain GRPO with the best tool-use reward.',
      against: ['The 95% CI of Δ(THR − GRPO) held-out greedy success includes 0 or lies below it.'],
    },
    report: reportTools,
  };
}

export const TOOL_SUITES: Record<string, (o: { quick: boolean }) => Suite> = {
  'tool-reward': (o) => rewardSuite('strong', o.quick),
  'tool-reward-weak': (o) => rewardSuite('weak', o.quick),
  'tool-reward-thr': (o) => thrSuite('strong', o.quick),
  'tool-reward-weak-thr': (o) => thrSuite('weak', o.quick),
};
