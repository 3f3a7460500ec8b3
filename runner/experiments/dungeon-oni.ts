/**
 * Dungeon-v0 (sparse: random play claims the treasure ≈ 0.4% of the time, docs/environments.md) with
 * ONI-style intrinsic rewards from the embedded rubric judge — r_t = c_ext·r_ext + c_int·r_int(m_t)·N(m_t)^(−β)
 * — through the classification reward model, so captions never labelled are rewarded too. Plain GRPO
 * (THR off) so the reward is the only difference from `dungeon-ext`. The task of the intrinsic-rewards study (issue #16).
 */
export default {
  name: 'dungeon-oni',
  description: 'Dungeon-v0 (sparse, NetHack-like messages) with GRPO and rubric-judge intrinsic rewards (ONI classification model)',
  seed: 1,
  env: { id: 'Dungeon-v0', options: {}, groupSize: 8 },
  policy: { hidden: [64, 64] },
  learner: { learningRate: 3e-3, thr: { p: 0, tau: 0 } },
  rewards: {
    judge: { kind: 'rubric' },
    model: { kind: 'classification' },
    cExt: 10,
    cInt: 0.4,
    beta: 3,
  },
  groupsPerUpdate: 8,
  budget: { updates: 400 },
  actors: { workers: 1, groupsPerTask: 4 },
  logging: { checkpointEvery: 100, episodeEvery: 10 },
};
