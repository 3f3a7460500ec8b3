/**
 * (frame, captions) pairs from rollouts of a game env, for contrastive encoder training, and solver
 * demonstrations, for diagnosing a judge. Any env with render() and solve() works (the grid worlds; a new
 * game env too): per level (one reset seed) three behaviours are rolled out so every stage of the task
 * appears — the solver's shortest plan, the solver with ε-random actions (re-planned each step, so it
 * wanders off the path and recovers) and a uniformly random policy. Each frame is captioned by the step
 * message and the state descriptions of ./describe.ts.
 *
 * Level seeds are hashString(`${seed}/${purpose}/${i}`): the env's `split` option (train/test) decides
 * which levels are generated, so train and held-out frames never share a level.
 */
import { hashBytes, hashString, mulberry32, type Env } from '../../envs/index.ts';
import type { Frame } from '../types.ts';
import { describerFor, type FrameFacts } from './describe.ts';

/** A game env as the trainer needs it: Gymnasium-style reset/step, render(), solve(), Discrete actions. */
export type RenderableGame = Env<unknown, number> & {
  render(): Frame; solve(): number[] | null; describe?: () => string[];
  /** Progress events so far this episode, when the env counts them (Dungeon-v0): the subgoal stage. */
  readonly chainProgress?: number;
};

export interface CaptionedFrame {
  frame: Frame;
  facts: FrameFacts;
  /** Index of the level (0-based) in the collection. */
  level: number;
  source: 'solver' | 'noisy-solver' | 'random';
}

export interface SolverDemonstration {
  frames: Frame[];
  facts: FrameFacts[];
  /**
   * Subgoal stage of each frame: the env's own progress count (`chainProgress`) when it has one (Dungeon-v0,
   * whose message line also speaks of monsters, items and noises); else how many steps so far had a non-empty
   * message. On a grid world's solver plan every message is a subgoal reached (picking up the key,
   * unlocking the door, entering a room, the goal): the shortest plan never bumps into a wall or a locked door.
   */
  stage: number[];
  seed: number;
}

export function levelSeed(seed: number, purpose: string, i: number): number {
  return hashString(`${seed}/${purpose}/${i}`);
}

export function requireGame(env: unknown, envId: string): RenderableGame {
  const e = env as Partial<RenderableGame>;
  if (typeof e.render !== 'function' || typeof e.solve !== 'function' || typeof e.reset !== 'function') {
    throw new Error(`env '${envId}' needs render() and solve() to collect captioned frames (the grid worlds have both)`);
  }
  const n = (e.actionSpace as { n?: number } | undefined)?.n;
  if (!Number.isInteger(n)) throw new Error(`env '${envId}': the encoder trainer needs a Discrete action space`);
  return e as RenderableGame;
}

function message(info: Record<string, unknown> | undefined): string {
  const m = info?.message;
  return typeof m === 'string' ? m : '';
}

/** The solver's plan from the level `seed`, every frame captioned; null if the solver finds no plan. */
export function solverDemonstration(env: RenderableGame, seed: number): SolverDemonstration | null {
  const d = describerFor(env);
  const first = env.reset({ seed });
  d.reset(first.obs);
  const plan = env.solve();
  if (!plan) return null;
  const frames = [env.render()], facts = [d.describe(first.obs, '')], stage = [0];
  for (const a of plan) {
    const st = env.step(a);
    const msg = message(st.info);
    frames.push(env.render());
    facts.push(d.describe(st.obs, msg));
    stage.push(typeof env.chainProgress === 'number' ? env.chainProgress : stage.at(-1)! + (msg ? 1 : 0));
    if (st.terminated || st.truncated) break;
  }
  return { frames, facts, stage, seed };
}

export interface CollectOptions {
  /** Number of levels. */
  levels: number;
  /** Seed of the level seeds and of the random actions. */
  seed: number;
  /** Purpose string in the level seeds (different purposes give different levels). */
  purpose: string;
  /** Probability of a random action per step in the noisy-solver episodes. */
  epsilon: number;
  /** Noisy-solver and random episodes per level. */
  noisyEpisodes: number;
  randomEpisodes: number;
}

/**
 * Captioned frames from `levels` levels: per level the solver's plan, `noisyEpisodes` ε-solver episodes
 * and `randomEpisodes` random ones. Within a level, a frame seen again with the same message is kept once.
 */
export function collectCaptionedFrames(env: RenderableGame, o: CollectOptions): CaptionedFrame[] {
  const n = (env.actionSpace as unknown as { n: number }).n;
  const rand = mulberry32(levelSeed(o.seed, `${o.purpose}/actions`, 0));
  const describer = describerFor(env);
  const out: CaptionedFrame[] = [];
  for (let level = 0; level < o.levels; level++) {
    const seed = levelSeed(o.seed, o.purpose, level);
    const seen = new Set<string>();
    const keep = (frame: Frame, facts: FrameFacts, source: CaptionedFrame['source']) => {
      const key = `${hashBytes(frame.rgb)}|${facts.extra.join('|')}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ frame, facts, level, source });
    };
    const episodes: CaptionedFrame['source'][] = ['solver', ...Array<'noisy-solver'>(o.noisyEpisodes).fill('noisy-solver'),
      ...Array<'random'>(o.randomEpisodes).fill('random')];
    for (const source of episodes) {
      const r = env.reset({ seed });
      describer.reset(r.obs);
      keep(env.render(), describer.describe(r.obs, ''), source);
      const plan = source === 'solver' ? env.solve() ?? [] : [];
      for (let t = 0; ; t++) {
        let a: number;
        if (source === 'solver') { if (t >= plan.length) break; a = plan[t]!; }
        else if (source === 'random' || rand() < o.epsilon) a = Math.floor(rand() * n);
        else { const p = env.solve(); if (!p?.length) break; a = p[0]!; }
        const st = env.step(a);
        keep(env.render(), describer.describe(st.obs, message(st.info)), source);
        if (st.terminated || st.truncated) break;
      }
    }
  }
  return out;
}
