/**
 * The experiment suites of docs/RESULTS.md (issue #8). A suite = arms (config variants) × seeds, a budget
 * (full and --quick), and for token tasks a held-out evaluation of the saved checkpoints.
 * Every arm of a suite shares everything but the one thing it compares (same env, warm start, learner,
 * budget, seeds), so differences are attributable to that thing.
 */
import additionThr from '../../runner/experiments/addition-thr.ts';
import keydoorThr from '../../runner/experiments/keydoor-thr.ts';
import toolcalcThr from '../../runner/experiments/toolcalc-thr.ts';
import type { StandInProcessOptions } from '../../rewards/index.ts';
import { TOOL_SUITES, type Declaration } from './suite-tools.ts';
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
}

export interface SuiteEval {
  /** Held-out problems (test split, reset seeds 0…problems−1). */
  problems: number;
  /** Samples per problem for pass@k (temperature 1). */
  n: number;
  ks: number[];
}

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

/** Suite factories; `quick` lets a suite that builds on another's results read the smoke-test ones. */
export const SUITES: Record<string, (o: { quick: boolean }) => Suite> = { 'thr-text': thrText, intrinsic, 'intrinsic-long': intrinsicLong, tooluse, ...TOOL_SUITES };
