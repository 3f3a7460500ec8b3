/**
 * Demonstrations for a perceptual judge configured without a `demonstrations` file (docs/runner.md):
 * generated from the env's own solver at the start of a run, as scripts/experiments/perceptual.ts does.
 */
import type { ExperimentConfig } from './config.ts';
import { deriveSeed } from './rng.ts';
import { loadEnvs, type EnvLike } from './rooms.ts';

/** Solver demonstrations generated for a perceptual judge without a demonstrations file. */
export const DEMONSTRATION_LEVELS = 32;

/**
 * Goal / baseline for a perceptual judge with no `demonstrations` file: the env's solver (GridEnv.solve())
 * on DEMONSTRATION_LEVELS levels of the configured split, seeded with deriveSeed(seed, 'demonstration', i)
 * (a stream apart from the training levels' deriveSeed(seed, 'env', group)). goal = the last frame of each
 * solution, baseline = the first ('goal' / 'goal-baseline'); 'steps' gets each solution as one demonstration
 * (concatenated for a judge without setDemonstrations). Nothing is set when the goals were given in words.
 */
export async function setSolverDemonstrations(judge: { setGoal?(g: unknown[], b?: unknown[]): Promise<void>; setDemonstration?(f: unknown[]): Promise<void>;
  setDemonstrations?(demos: unknown[][]): Promise<void>; goalsInWords?: boolean },
  mode: string, config: ExperimentConfig, envRef: string): Promise<void> {
  if (judge.goalsInWords) return; // goals given in words (rewards.judge.goalText)
  const envs = await loadEnvs();
  const env = (await envs.makeEnv(envRef, config.env.options)) as EnvLike & { solve?(): number[] | null };
  if (!env.render || !env.solve) throw new Error(`rewards.judge.demonstrations: env '${config.env.id}' has no solve()/render() to generate demonstrations; give a demonstrations file`);
  const goal: unknown[] = [], baseline: unknown[] = [], all: unknown[] = [], demos: unknown[][] = [];
  const copy = (f: { rgb: Uint8Array; height: number; width: number }) => ({ rgb: f.rgb.slice(), height: f.height, width: f.width });
  try {
    for (let i = 0; i < DEMONSTRATION_LEVELS; i++) {
      env.reset({ seed: deriveSeed(config.seed, 'demonstration', i) });
      const frames = [copy(env.render())];
      const plan = env.solve();
      if (!plan) continue;
      for (const a of plan) { env.step(a); frames.push(copy(env.render())); }
      baseline.push(frames[0]);
      goal.push(frames[frames.length - 1]);
      all.push(...frames);
      demos.push(frames);
    }
  } finally {
    env.close();
  }
  if (!goal.length) throw new Error(`rewards.judge.demonstrations: the solver of env '${config.env.id}' solved none of ${DEMONSTRATION_LEVELS} levels`);
  if (mode === 'steps') await (judge.setDemonstrations ? judge.setDemonstrations(demos) : judge.setDemonstration!(all));
  else await judge.setGoal!(goal, baseline);
}
