/** Evaluation: batched rollouts of a policy on envs (one outcome per episode) and their statistics (pass@k, Wilson intervals). */
export { rolloutTokenEpisodes, rolloutGameEpisodes, type EpisodeOutcome, type GameRolloutOptions } from './rollout.ts';
export { passAtK, passAtKs, passAtKCurve, wilsonInterval } from './stats.ts';
