/**
 * Demonstrations for a perceptual judge configured without a `demonstrations` file (docs/runner.md):
 * generated from the env's own solver at the start of a run, as scripts/experiments/perceptual.ts does.
 */
import { makeEnv, type Frame } from '../envs/index.ts';
import { PerceptualJudge, type Judge } from '../rewards/index.ts';
import { deriveSeed } from '../core/rng.ts';
import type { ExperimentConfig } from './config.ts';

/** Solver demonstrations generated for a perceptual judge without a demonstrations file. */
export const DEMONSTRATION_LEVELS = 32;

/** The env's solver: a plan of actions from the current state to the goal, or null (GridEnv.solve()). */
interface Solvable { solve?(): number[] | null }

/**
 * Goal / baseline for a perceptual judge with no `demonstrations` file (any other judge: nothing to do): the env's solver (GridEnv.solve())
 * on DEMONSTRATION_LEVELS levels of the configured split, seeded with deriveSeed(seed, 'demonstration', i)
 * (a stream apart from the training levels' deriveSeed(seed, 'env', group)). goal = the last frame of each
 * solution, baseline = the first ('goal' / 'goal-baseline'); 'steps' gets each solution as one
 * demonstration. Nothing is set when the goals were given in words (rewards.judge.goalText).
 */
export async function setSolverDemonstrations(judge: Judge, config: ExperimentConfig, envRef: string): Promise<void> {
  if (!(judge instanceof PerceptualJudge) || judge.config.demonstrations || judge.goalsInWords) return;
  const env = await makeEnv(envRef, config.env.options);
  const solver = env as typeof env & Solvable;
  if (!env.render || !solver.solve) throw new Error(`rewards.judge.demonstrations: env '${config.env.id}' has no solve()/render() to generate demonstrations; give a demonstrations file`);
  const goal: Frame[] = [], baseline: Frame[] = [], demos: Frame[][] = [];
  const copy = (f: Frame): Frame => ({ rgb: f.rgb.slice(), height: f.height, width: f.width, caption: f.caption });
  try {
    for (let i = 0; i < DEMONSTRATION_LEVELS; i++) {
      env.reset({ seed: deriveSeed(config.seed, 'demonstration', i) });
      const frames = [copy(env.render())];
      const plan = solver.solve();
      if (!plan) continue;
      for (const a of plan) { env.step(a); frames.push(copy(env.render())); }
      baseline.push(frames[0]);
      goal.push(frames[frames.length - 1]);
      demos.push(frames);
    }
  } finally {
    env.close();
  }
  if (!goal.length) throw new Error(`rewards.judge.demonstrations: the solver of env '${config.env.id}' solved none of ${DEMONSTRATION_LEVELS} levels`);
  if (judge.config.mode === 'steps') await judge.setDemonstrations(demos);
  else await judge.setGoal(goal, baseline);
}
