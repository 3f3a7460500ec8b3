/**
 * The experiment suites of docs/RESULTS.md (issue #8). A suite = arms (config variants) × seeds, a budget
 * (full and --quick), and for token tasks a held-out evaluation of the saved checkpoints.
 * Every arm of a suite shares everything but the one thing it compares (same env, warm start, learner,
 * budget, seeds), so differences are attributable to that thing.
 */
import additionThr from '../../runner/experiments/addition-thr.ts';
import keydoorThr from '../../runner/experiments/keydoor-thr.ts';
import toolcalcThr from '../../runner/experiments/toolcalc-thr.ts';
import dungeonOni from '../../runner/experiments/dungeon-oni.ts';
import type { StandInProcessOptions } from '../../rewards/index.ts';
import { TOOL_SUITES } from './suite-tools.ts';
import type { SuiteResults } from './run.ts';

import type { ExperimentConfigInput } from '../../runner/config.ts';
import type { JudgeConfig } from '../../rewards/index.ts';

export interface Arm {
  name: string;
  /** What differs in this arm, for tables. */
  label: string;
  /** Checked against the experiment config's input type at compile time. */
  config: ExperimentConfigInput;
  /**
   * Run a STAND-IN OpenAI-compatible judge server (rewards/testing: rubric answers, not a language model)
   * on loopback for each run of this arm, and point the arm's LLM judge (`rewards.judge`, or the inner
   * judge of a 'shuffled' control) at it.
   */
  standIn?: StandInProcessOptions;
  /**
   * This arm's config is the same run as an arm of another suite (only `name` and `description` differ,
   * which name the run directory and nothing else): a finished job of that arm × seed is taken from
   * runs/experiments/<suite>/<arm>-s<seed>/job.json instead of training the same thing twice, and is marked
   * `reusedFrom` in the results. Without that job, the arm runs as usual.
   */
  sameRunAs?: { suite: string; arm: string };
}

export interface SuiteEval {
  /** Held-out problems (test split, reset seeds 0…problems−1). */
  problems: number;
  /** Samples per problem for pass@k (temperature 1). */
  n: number;
  ks: number[];
}

/**
 * What a suite tests, declared before anything runs (the experiment protocol): changing any of it after
 * seeing results makes a new suite version, and both versions are reported.
 */
export interface Declaration {
  /** The claim under test, as its sources state it. */
  claim: string;
  sources: string[];
  /** The primary metric, in words. */
  primaryMetric: string;
  /** How report.ts computes the primary metric from the per-problem evaluations (suites with the default report). */
  metric?: PrimaryMetric;
  secondary: string[];
  /** Secondary metrics report.ts tabulates like the primary one (after the last update, Δ vs the reference arm, bootstrap CIs). */
  secondaryMetrics?: Array<{ name: string; metric: PrimaryMetric }>;
  /** The arms, in words. */
  arms: string;
  /** The budget in env tokens or updates (not wall time), in words. */
  budget: string;
  seeds: number;
  /** What the regime check measures (what makes the effect possible), in words. */
  regime: string;
  /** What results would count against the claim. */
  against: string[];
  /** Controls and why they are there. */
  controls?: string;
  /**
   * The paired differences the claim turns on (`arm` − `minus`, problems paired, seeds resampled per arm),
   * which report.ts tabulates after the last update next to the table against the reference arm.
   */
  contrasts?: Array<{ arm: string; minus: string }>;
  /**
   * Time to threshold: report.ts gives, per arm, the first update at which the training success (moving mean
   * over budget/20 updates) reaches this share, and how many seeds reach it within the budget.
   */
  timeToThreshold?: number;
}

/** A per-problem quantity of a checkpoint evaluation (averaged over problems, then seeds). */
export type PrimaryMetric =
  | { kind: 'answerMass'; answer: number }
  | { kind: 'sampledAnswerShare'; answer: number }
  | { kind: 'passAtK'; k: number }
  | { kind: 'greedy' }
  | { kind: 'distinctCorrect' };

export interface Suite {
  name: string;
  title: string;
  arms: Arm[];
  /** Budget and checkpoint period; quick = the smoke test. */
  budget: { updates: number; checkpointEvery: number };
  quick: { updates: number; checkpointEvery: number };
  /**
   * Evaluate the warm start (when there is one) and every checkpoint on the held-out split, with `script`
   * (default eval-text.ts for token tasks; eval-games.ts for games; its spec gets every field of full/quick).
   */
  eval?: { full: SuiteEval; quick: SuiteEval; warmStart?: string; script?: string };
  /** Seeds a full run uses unless --seeds says otherwise (the protocol asks for ≥ 5). */
  seeds?: number;
  /** The protocol's declaration (claim, metric, arms, budget, seeds, what counts against), printed in the report. */
  declaration?: Declaration;
  /** The suite's own report (default report.ts). */
  report?: (r: SuiteResults, dir: string) => string;
}

const clone = <T>(x: T): T => structuredClone(x);

/** (1) THR steering on Addition-v0 from the SFT warm start: vanilla GRPO vs THR p > 0 vs p < 0. */
function thrText(): Suite {
  const base: ExperimentConfigInput = clone(additionThr);
  const arm = (name: string, label: string, p: number): Arm => ({
    name, label,
    config: { ...clone(base), name: `thr-text-${name}`, learner: { ...base.learner, thr: { p, tau: 0 } } },
  });
  return {
    name: 'thr-text',
    title: 'THR steering on Addition-v0 (text) from one SFT warm start',
    arms: [arm('grpo', 'GRPO (p = 0)', 0), arm('thr-pos', 'THR p = +0.5', 0.5), arm('thr-neg', 'THR p = −0.5', -0.5)],
    budget: { updates: 300, checkpointEvery: 50 },
    quick: { updates: 6, checkpointEvery: 3 },
    eval: {
      full: { problems: 200, n: 16, ks: [1, 2, 4, 8, 16] },
      quick: { problems: 20, n: 4, ks: [1, 2, 4] },
      warmStart: base.policy!.checkpoint!,
    },
  };
}

/**
 * (2) Intrinsic rewards on KeyDoor-v0 (reward only at the goal). Every arm uses plain GRPO (THR off, p = 0)
 * so the comparison isolates the reward: extrinsic only vs ONI-style intrinsic rewards from judge feedback
 * through each reward model, and the rubric judge made noisy (20% flipped labels) and slow (200 ms per batch,
 * so labels arrive asynchronously, as from a real LLM judge).
 */
function intrinsic(): Suite {
  const base: ExperimentConfigInput = clone(keydoorThr);
  const learner = { ...base.learner, thr: { p: 0, tau: 0 } };
  const rewards = (judge: Partial<JudgeConfig>, model: string): ExperimentConfigInput['rewards'] => ({ judge, model: { kind: model }, cExt: 10, cInt: 0.4, beta: 3, annotator: { cacheDir: null } });
  const arm = (name: string, label: string, r: ExperimentConfigInput['rewards']): Arm => ({
    name, label, config: { ...clone(base), name: `intrinsic-${name}`, learner, rewards: r },
  });
  return {
    name: 'intrinsic',
    title: 'Intrinsic rewards from judge feedback on sparse KeyDoor-v0 (size 7, 40 steps)',
    arms: [
      arm('ext', 'extrinsic only', null),
      arm('retrieval', 'rubric judge + retrieval RM', rewards({ kind: 'rubric' }, 'retrieval')),
      arm('classification', 'rubric judge + classification RM', rewards({ kind: 'rubric' }, 'classification')),
      arm('ranking', 'rubric judge + ranking RM', rewards({ kind: 'rubric' }, 'ranking')),
      arm('noisy-slow', 'noisy (20%) slow (200 ms) rubric + retrieval RM', rewards({ kind: 'rubric', noise: 0.2, latencyMs: 200 }, 'retrieval')),
    ],
    budget: { updates: 200, checkpointEvery: 0 },
    quick: { updates: 5, checkpointEvery: 0 },
  };
}

/** (3) Tool use: THR-GRPO on ToolCalc-v0 from its SFT warm start, against the warm start itself. */
function tooluse(): Suite {
  const base: ExperimentConfigInput = clone(toolcalcThr);
  const arm = (name: string, label: string, p: number): Arm => ({
    name, label,
    config: { ...clone(base), name: `tooluse-${name}`, learner: { ...base.learner, thr: { p, tau: 0 } } },
  });
  return {
    name: 'tooluse',
    title: 'THR-GRPO on ToolCalc-v0 (calculator tool) from its SFT warm start',
    arms: [arm('thr', 'THR-GRPO p = +0.5', 0.5), arm('grpo', 'GRPO (p = 0)', 0)],
    budget: { updates: 100, checkpointEvery: 25 },
    quick: { updates: 4, checkpointEvery: 2 },
    eval: {
      full: { problems: 200, n: 4, ks: [1, 4] },
      quick: { problems: 10, n: 2, ks: [1, 2] },
      warmStart: base.policy!.checkpoint!,
    },
  };
}

/** (2, longer) The same arms with 4× the budget (800 updates ≈ 1.5–2 M env steps), to see where each arm ends up. */
function intrinsicLong(): Suite {
  const s = intrinsic();
  return {
    ...s, name: 'intrinsic-long', title: `${s.title}, 800 updates`,
    arms: s.arms.map((a) => ({ ...a, config: { ...a.config, name: `intrinsic-long-${a.name}` } })),
    budget: { updates: 800, checkpointEvery: 0 },
  };
}

// ── THR as the paper uses it (issue #15) ─────────────────────────────────────────────────────────────

/**
 * The arms shared by both THR suites: everything but the one setting under test is the base config's.
 * THR arms select dominant tokens with NTHR's per-group heuristic (thr.threshold 'nthr', β = τ = 1), so the
 * dominant-token training the paper describes actually happens (thrSelected reports the share). THR comes from
 * the policy that sampled the rollouts (thr.source 'behaviour': in lockstep the learner is one version ahead),
 * as in an on-policy GRPO step and in NTHR; thrSignDisagreement reports how often the learner's own THR would
 * have had the other sign. GRPO and the controls compute THR too (p = 0 leaves the update exactly vanilla), so
 * its statistics are logged for every arm.
 */
function thrArms(prefix: string, base: ExperimentConfigInput): Arm[] {
  const learner = base.learner ?? {};
  type LearnerIn = NonNullable<ExperimentConfigInput['learner']>;
  const thr = (over: LearnerIn['thr']): LearnerIn['thr'] => ({ ...learner.thr, threshold: 'nthr', tau: 1, mode: 'reweight', source: 'behaviour', ...over });
  const arm = (name: string, label: string, over: Omit<LearnerIn, 'thr'>, thrOver: LearnerIn['thr']): Arm => ({
    name, label, config: { ...clone(base), name: `${prefix}-${name}`, learner: { ...learner, ...over, thr: thr(thrOver) } },
  });
  return [
    arm('grpo', 'GRPO (p = 0)', {}, { p: 0 }),
    arm('thr-pos', 'THR p = +0.5', {}, { p: 0.5 }),
    arm('thr-neg', 'THR p = −0.5', {}, { p: -0.5 }),
    arm('thr-only', 'THR-only (dominant tokens, p = 0)', {}, { p: 0, mode: 'thr-only' }),
    arm('clip-higher', 'clip-higher ε_high = 0.28 (control)', { epsilonHigh: 0.28 }, { p: 0 }),
    arm('entropy', 'entropy bonus κ = 0.01 (control)', { entropyCoef: 0.01 }, { p: 0 }),
  ];
}

/**
 * The run config shared by both THR suites: a text env from its SFT warm start, G = 8, 8 prompts per update,
 * learner defaults (dapo, ε = 0.2, no KL) at lr 3e-4, T = 1; the same warm start path is evaluated at update 0.
 */
function thrBase(name: string, description: string, env: ExperimentConfigInput['env'], checkpoint: string, checkpointEvery: number): ExperimentConfigInput {
  return {
    name, description, seed: 1,
    env: { ...env, groupSize: 8 },
    policy: { checkpoint },
    learner: { learningRate: 3e-4, temperature: 1, thr: { correctThreshold: 0.5 } },
    rewards: null,
    groupsPerUpdate: 8,
    actors: { workers: 1, groupsPerTask: 4 },
    logging: { checkpointEvery, episodeEvery: 10 },
  };
}

const THR_SOURCES = [
  'Deng et al., "Token Hidden Reward: Steering Exploration-Exploitation in Group Relative Deep RL", arXiv 2510.03669 (abstract; ICLR 2026 reviews)',
  'threshold heuristic from NTHR, arXiv 2505.18830',
];
const THR_ARMS = 'GRPO (p = 0), THR p = +0.5, THR p = −0.5, THR-only (p = 0, dominant tokens only), clip-higher ε_high = 0.28 and entropy bonus κ = 0.01 (controls); THR from the behaviour policy with NTHR\'s threshold (τ = β = 1), computed in every arm';
const THR_REGIME = 'measured on the warm start before training and in the runs: held-out greedy and sampled (T = 1) success, the probability on each listed answer, distinct correct completions per problem; in the first 10 updates the share of zero-variance groups, of tokens selected as dominant and the entropy; over all updates how often the THR sign differs between the behaviour and the learner weights';
const THR_CONTROLS = 'clip-higher (ε_high = 0.28, DAPO) and an entropy bonus (κ = 0.01, PPO-style) are the exploration controls reviewers asked for: if either keeps as much of the metric as THR p < 0, the effect is not specific to THR. THR-only isolates dominant-token training without reweighting.';

/**
 * (5) THR's mechanism on a task with exactly two correct answers (EitherSort-v0: digits sorted ascending or
 * descending), from a warm start that favours ascending ≈ 80/20 in its SFT data.
 */
function thrMechanism(): Suite {
  const warmStart = 'agents/checkpoints/eithersort-v0.safetensors';
  const base = thrBase('thr-mechanism', 'EitherSort-v0 (two correct answers) from an 80/20 SFT warm start',
    { id: 'EitherSort-v0', options: { minLength: 5, maxLength: 8 } }, warmStart, 50);
  return {
    name: 'thr-mechanism',
    title: 'THR mechanism: mass on the less-favoured of two correct answers (EitherSort-v0)',
    arms: thrArms('thr-mechanism', base),
    budget: { updates: 200, checkpointEvery: 50 },
    quick: { updates: 2, checkpointEvery: 2 },
    seeds: 5,
    eval: {
      full: { problems: 200, n: 32, ks: [1, 2, 4, 8, 16, 32] },
      quick: { problems: 8, n: 4, ks: [1, 4] },
      warmStart,
    },
    declaration: {
      claim: 'Tokens with negative THR preserve probability mass for alternative outputs (exploration); amplifying them (p < 0) keeps more mass on alternative correct answers than GRPO, weakening them (p > 0) keeps less.',
      sources: THR_SOURCES,
      primaryMetric: 'held-out mean probability (exact, teacher forced, T = 1) of the less-favoured correct answer (descending), after the last update; also along training',
      metric: { kind: 'answerMass', answer: 1 },
      secondary: ['sampled frequency of the descending answer (n = 32 per problem)', 'greedy accuracy', 'pass@k, k ≤ 32', 'mass on the favoured answer'],
      arms: THR_ARMS,
      budget: '200 updates × 64 rollouts (8 prompts × G = 8) = 12,800 episodes ≈ 0.12 M generated tokens per run; 5 seeds per arm',
      seeds: 5,
      regime: THR_REGIME,
      against: ['THR p = −0.5 keeping no more descending mass than GRPO (95% bootstrap CI of the difference, over seeds and problems, includes 0 or lies below), or p = +0.5 keeping no less; or a control (clip-higher, entropy) matching p = −0.5.'],
      controls: THR_CONTROLS,
    },
  };
}

/** (6) THR's outcome on a task with many valid multi-token solutions (Countdown-v0), warm-started to ≈ 25% greedy. */
function thrCountdown(): Suite {
  // The shipped warm start (agents/checkpoints/README.md): `npm run warmstart -- --env Countdown-v0 --target 0.25
  // --out agents/checkpoints/countdown-v0.safetensors` stops at its 4000-step limit with 17.2% held-out greedy
  // success: the 2-layer width-64 policy's SFT plateau (8000 steps or 20,000 demonstrations did not raise it).
  const warmStart = 'agents/checkpoints/countdown-v0.safetensors';
  const base = thrBase('thr-countdown', 'Countdown-v0 from its SFT warm start', { id: 'Countdown-v0', options: {} }, warmStart, 150);
  return {
    name: 'thr-countdown',
    title: 'THR outcome: pass@k on Countdown-v0 (many valid solutions)',
    arms: thrArms('thr-countdown', base),
    budget: { updates: 300, checkpointEvery: 150 },
    quick: { updates: 2, checkpointEvery: 2 },
    seeds: 5,
    eval: {
      full: { problems: 500, n: 64, ks: [1, 2, 4, 8, 16, 32, 64] },
      quick: { problems: 8, n: 8, ks: [1, 8] },
      warmStart,
    },
    declaration: {
      claim: 'Amplifying positive-THR tokens (p > 0) improves greedy accuracy (exploitation); the reverse (p < 0) yields gains in Pass@K (exploration).',
      sources: THR_SOURCES,
      primaryMetric: 'held-out pass@64 from n = 64 samples at T = 1 on 500 problems (unbiased estimator), after the last update; the pass@k curve k = 1…64',
      metric: { kind: 'passAtK', k: 64 },
      secondary: ['greedy accuracy (the p > 0 claim)', 'distinct correct solutions per problem among the 64 samples', 'pass@1'],
      secondaryMetrics: [{ name: 'held-out greedy accuracy', metric: { kind: 'greedy' } }, { name: 'distinct correct solutions per problem (of 64 samples)', metric: { kind: 'distinctCorrect' } }, { name: 'held-out pass@1', metric: { kind: 'passAtK', k: 1 } }],
      arms: THR_ARMS,
      budget: '300 updates × 64 rollouts = 19,200 episodes ≈ 0.25 M generated tokens per run; 5 seeds per arm',
      seeds: 5,
      regime: THR_REGIME,
      against: ['THR p = −0.5 not above GRPO on pass@64 (95% bootstrap CI of the difference includes 0 or lies below), or p = +0.5 not above GRPO on greedy accuracy; or a control matching the THR arm.'],
      controls: THR_CONTROLS,
    },
  };
}

/**
 * (7) ONI where extrinsic reward is too sparse for GRPO: Dungeon-v0 (random play 0.35% success). The judge's
 * labels against the two controls that keep everything but the information in them: novelty only (every
 * caption labelled 1 — ONI's count-based N(m)^(−β) bonus alone) and the same rubric labels shuffled across
 * captions; extrinsic-only is the floor. All arms: plain GRPO (THR off), the classification reward model.
 */
function oniDungeon(): Suite {
  const base: ExperimentConfigInput = clone(dungeonOni);
  const rewards = (judge: Record<string, unknown>): ExperimentConfigInput['rewards'] => ({ ...clone(dungeonOni.rewards), judge, annotator: { cacheDir: null } });
  const arm = (name: string, label: string, r: ExperimentConfigInput['rewards']): Arm => ({
    name, label, config: { ...clone(base), name: `oni-dungeon-${name}`, rewards: r, logging: { episodeEvery: 0 } },
  });
  const perStepCredit = (a: Arm): Arm => ({ ...a, config: { ...a.config, learner: { ...a.config.learner, advantageMode: 'outcome+intrinsic-to-go' } } });
  return {
    name: 'oni-dungeon',
    title: 'Intrinsic rewards from judge feedback on sparse Dungeon-v0 (ONI) against novelty-only and shuffled labels',
    arms: [
      arm('ext', 'extrinsic only', null),
      arm('oni', 'rubric judge + classification RM (ONI)', rewards({ kind: 'rubric' })),
      arm('novelty', 'novelty only (every caption labelled 1)', rewards({ kind: 'novelty' })),
      arm('shuffled', 'rubric labels shuffled across captions', rewards({ kind: 'shuffled', inner: { kind: 'rubric' } })),
      {
        // The asynchronous path as a real judge would drive it: HTTP, latency, a budget of calls, late labels.
        ...arm('llm', 'LLM judge over HTTP (STAND-IN server: rubric answers, 10% flipped, 200–800 ms, ≤ 3000 calls)', rewards({ kind: 'llm', maxRequests: 3000 })),
        standIn: { latencyMs: [200, 800], noise: 0.1 },
      },
      // Per-step credit (issue #16): ONI's rewards, the intrinsic part credited only to the actions before it.
      perStepCredit(arm('oni-togo', 'ONI with per-step credit (outcome + intrinsic rewards to go)', rewards({ kind: 'rubric' }))),
    ],
    budget: { updates: 150, checkpointEvery: 150 },
    quick: { updates: 3, checkpointEvery: 3 },
    seeds: 5,
    eval: {
      full: { problems: 200, n: 4, ks: [1, 4] },
      quick: { problems: 8, n: 2, ks: [1, 2] },
      script: 'scripts/experiments/eval-games.ts',
    },
    declaration: {
      claim: 'Intrinsic rewards distilled online from judge feedback let an agent learn a task whose extrinsic reward is too sparse to learn from (ONI).',
      sources: ['Zheng et al., Online Intrinsic Rewards for Decision Making Agents from Large Language Model Feedback (ONI), arXiv 2410.23022'],
      primaryMetric: 'held-out sampled success (T = 1, pass@1 from 4 samples) on 200 test-split levels after the budget',
      metric: { kind: 'passAtK', k: 1 },
      secondary: ['held-out greedy success', 'training success rate over updates', 'labels requested (ann_captionsLabelled)', 'learned-model accuracy on captions the judge never labelled (rm_unseen*)'],
      arms: 'extrinsic only; ONI (rubric judge, classification RM); novelty only; shuffled rubric labels; ONI through the LLM judge over HTTP against a stand-in server (added after the first four arms had started, before any of its runs); ONI with per-step credit, advantageMode outcome+intrinsic-to-go (added after the other five had run, before any of its runs)',
      budget: '150 updates × 64 episodes (8 groups × G = 8) of ≤ 40 steps ≤ 0.38 M env steps per run; 5 seeds per arm',
      seeds: 5,
      regime: 'random-policy success and the zero-std group fraction of extrinsic-only GRPO (docs/results/regime-Dungeon-v0.json: 0.35% random success)',
      against: ['ONI not above both novelty-only and shuffled labels (95% bootstrap CIs overlap), or extrinsic-only not near zero (then the task is not sparse for GRPO)'],
      controls: 'novelty only and shuffled labels keep the bonus and its count decay but remove what the judge knows; extrinsic only is the floor',
      contrasts: [
        { arm: 'oni', minus: 'novelty' }, { arm: 'oni', minus: 'shuffled' },
        { arm: 'llm', minus: 'novelty' }, { arm: 'llm', minus: 'shuffled' },
        { arm: 'oni-togo', minus: 'oni' },
      ],
    },
  };
}

/**
 * (7b) (7) at ten times the budget: the run that can tell the arms apart if any leaves the floor. The same
 * arms and configs as oni-dungeon (same seeds), 1500 updates, held-out evaluation every 300 updates (fixed
 * env-step budgets), a declared time-to-threshold. Declared before any of its runs, after (7) had run.
 */
function oniDungeonLong(): Suite {
  const oni = oniDungeon();
  const updates = 1500, every = 300;
  return {
    ...oni,
    name: 'oni-dungeon-long',
    title: `${oni.title}, ${updates} updates`,
    budget: { updates, checkpointEvery: every },
    declaration: {
      ...oni.declaration!,
      primaryMetric: `held-out sampled success (T = 1, pass@1 from 4 samples) on 200 test-split levels after ${updates} updates; the same at every ${every} updates (≈ 0.77 M env steps apart) as the fixed env-step budgets`,
      secondary: [...oni.declaration!.secondary, 'time to threshold: first update at which training success (moving mean over 75 updates) reaches 5%'],
      arms: 'the six arms of oni-dungeon with the same configs: extrinsic only; ONI (rubric judge, classification RM); novelty only; shuffled rubric labels; ONI through the LLM judge over HTTP against a stand-in server (≤ 3000 calls per run, so most captions are never labelled); ONI with per-step credit',
      budget: `${updates} updates × 64 episodes (8 groups × G = 8) of ≤ 40 steps ≤ 3.84 M env steps per run; 5 seeds per arm`,
      against: [...oni.declaration!.against, 'Per-step credit: the learner default for games with intrinsic rewards becomes the form with the higher primary metric only if the CI of their paired difference excludes 0.'],
      timeToThreshold: 0.05,
    },
  };
}

/** The goals in words of the perceptual arms: Dungeon-v0's describe() facts of the solved state vs the start. */
export const DUNGEON_GOAL_TEXT = ['the agent holds the key', 'the vault door is open', 'the agent is in the vault', 'the agent has claimed the treasure'];
export const DUNGEON_BASELINE_TEXT = ['the agent holds no key', 'the vault door is locked', 'the agent is in the first room'];

/**
 * (8) Perceptual rewards on the sparse task of (7): VLM-RM's goal-baseline score of each rendered frame
 * (Rocamonde et al. 2023) as ONI's intrinsic reward, scored through the contrastively trained Dungeon-v0
 * encoder shipped in agents/checkpoints/dungeon-v0-encoder (`npm run train-encoder -- --env Dungeon-v0
 * --options '{"tileSize":4}' --seed 0`; goals in words through its text tower) against the builtin
 * colour-layout encoder (goal / baseline = last / first frames of solver demonstrations). The extrinsic-only
 * and novelty-only arms are (7)'s, with the same configs and seeds: their finished jobs are taken from
 * (7)'s (Arm.sameRunAs; the lockstep pipeline is deterministic for a seed, which one re-run checked).
 */
function perceptualDungeon(): Suite {
  const oni = oniDungeon();
  const encoder = 'agents/checkpoints/dungeon-v0-encoder/model.json';
  const base: ExperimentConfigInput = { ...dungeonOni, env: { ...dungeonOni.env, options: { tileSize: 4 } } };
  const perceptual = (name: string, label: string, judge: Record<string, unknown>): Arm => ({
    name, label,
    config: {
      ...clone(base), name: `perceptual-dungeon-${name}`, logging: { episodeEvery: 0 },
      rewards: { judge: { kind: 'perceptual', mode: 'goal-baseline', alpha: 0.5, output: 'score', ...judge }, model: { kind: 'retrieval' }, cExt: 10, cInt: 0.1, beta: 3, annotator: { cacheDir: null } },
    },
  });
  return {
    ...oni,
    name: 'perceptual-dungeon',
    title: 'Perceptual rewards on sparse Dungeon-v0: a contrastively trained encoder with goals in words vs the builtin encoder, novelty only and extrinsic only',
    arms: [
      { ...oni.arms.find((a) => a.name === 'ext')!, sameRunAs: { suite: 'oni-dungeon', arm: 'ext' } },
      { ...oni.arms.find((a) => a.name === 'novelty')!, sameRunAs: { suite: 'oni-dungeon', arm: 'novelty' } },
      perceptual('builtin', 'perceptual judge, builtin colour-layout encoder (grid 13), frame goals', { encoder: { kind: 'builtin', grid: 13 } }),
      perceptual('trained', 'perceptual judge, trained encoder, goals in words', { encoder: { kind: 'tfjs', path: encoder }, goalText: DUNGEON_GOAL_TEXT, baselineText: DUNGEON_BASELINE_TEXT }),
    ],
    declaration: {
      ...oni.declaration!,
      claim: 'A perceptual judge whose encoder sees the task (scores that track progress on held-out demonstrations) gives intrinsic rewards that let GRPO learn a task whose extrinsic reward is too sparse; an encoder that does not see it (builtin) does not (VLM-RM; ONI\'s combination).',
      sources: ['Rocamonde et al., Vision-Language Models are Zero-Shot Reward Models for Reinforcement Learning (VLM-RM), arXiv 2310.12921', 'Zheng et al., ONI, arXiv 2410.23022'],
      arms: 'extrinsic only and novelty only (caption count bonus, c_int 0.4: the arms of oni-dungeon); perceptual judge with the builtin encoder (frame goals from solver demonstrations) and with the trained encoder (goals in words), both score output, retrieval model by frame key, c_int 0.1, β 3',
      regime: 'as oni-dungeon; plus the judge\'s informativeness before any run: Spearman ρ of its score with progress on 100 held-out solver demonstrations (docs/results/perceptual-diagnosis-dungeon.json)',
      against: ['the trained-encoder arm not above both the builtin-encoder arm and novelty only (95% bootstrap CIs of the differences include 0), or extrinsic-only not near zero'],
      controls: 'the builtin encoder (grid 13) ranks frames by progress almost as well (ρ(stage) 0.82 vs 0.92) but scores every Dungeon frame within 0.985–0.993, so its arm is close to a per-frame novelty bonus with the same coefficients: what the trained arm adds over it is a score whose size follows progress; novelty only and extrinsic only are (7)\'s controls',
    },
  };
}

/** Suite factories; `quick` lets a suite that builds on another's results read the smoke-test ones. */
export const SUITES: Record<string, (o: { quick: boolean }) => Suite> = {
  'thr-text': thrText, intrinsic, 'intrinsic-long': intrinsicLong, tooluse, ...TOOL_SUITES, 'thr-mechanism': thrMechanism, 'thr-countdown': thrCountdown, 'oni-dungeon': oniDungeon, 'oni-dungeon-long': oniDungeonLong, 'perceptual-dungeon': perceptualDungeon,
};
