/**
 * The learner thread's reward plumbing (runner/learner/rewards.ts, batch.ts): the c_int schedule with a
 * resumed run's progress, unseen-caption accuracy, and intrinsic step rewards placed in the LearnerBatch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as rewards from '../../rewards/index.ts';
import { RewardExtras } from '../../runner/learner/rewards.ts';
import { buildLearnerBatch } from '../../runner/learner/batch.ts';
import type { TrajectoryRecord } from '../../runner/trajectory.ts';

const KEYDOOR: rewards.EnvContext = { id: 'KeyDoor-v0', family: 'games' };

test('c_int schedule: constant by default; linear continues from the progress made before a resume', () => {
  const constant = new RewardExtras(rewards.validateRewardsConfig({ cInt: 0.4 }), { updates: 0, envSteps: 0 }, KEYDOOR);
  assert.is(constant.cInt({ updates: 500, envSteps: 1e6 }), 0.4);
  const cfg = rewards.validateRewardsConfig({ cInt: 0.4, cIntSchedule: { kind: 'linear', final: 0, over: 100 } });
  const fresh = new RewardExtras(cfg, { updates: 0, envSteps: 0 }, KEYDOOR);
  const resumed = new RewardExtras(cfg, { updates: 50, envSteps: 0 }, KEYDOOR);
  assert.ok(Math.abs(fresh.cInt({ updates: 25, envSteps: 0 }) - 0.3) < 1e-12);
  assert.ok(Math.abs(resumed.cInt({ updates: 25, envSteps: 0 }) - 0.1) < 1e-12);
  const steps = new RewardExtras(rewards.validateRewardsConfig({ cInt: 1, cIntSchedule: { kind: 'linear', final: 0, over: 1000, unit: 'envSteps' } }), { updates: 0, envSteps: 400 }, KEYDOOR);
  assert.ok(Math.abs(steps.cInt({ updates: 0, envSteps: 100 }) - 0.5) < 1e-12);
});

test('unseen accuracy from records and labels', () => {
  const x = new RewardExtras(rewards.validateRewardsConfig({}), { updates: 0, envSteps: 0 }, KEYDOOR);
  x.observe([{ messages: ['You pick up the red key.', 'You move north.', ''] }], []);
  assert.equal(x.metrics({ score: (c) => new Float32Array(c.length) }), { unseenCaptions: 2, unseenPositives: 1, unseenAccuracy: 0.5, unseenBalancedAccuracy: 0.5 });
  x.observe([], [{ key: 'a', caption: 'You pick up the red key.', label: 1 }]);
  assert.is(x.metrics({ score: (c) => new Float32Array(c.length) }).unseenCaptions, 1);
  assert.equal(x.metrics(null), {});
  // An env the rubric has no rules of its own for (a plug-in env): no oracle, nothing tracked.
  const plugin = new RewardExtras(rewards.validateRewardsConfig({}), { updates: 0, envSteps: 0 }, { id: 'MyGrid', family: 'games' });
  plugin.observe([{ messages: ['You pick up the red key.', 'You move north.'] }], []);
  assert.is(plugin.metrics({ score: (c) => new Float32Array(c.length) }).unseenCaptions, 0);
});

const gameRecord = (n: number, group: number): TrajectoryRecord => ({
  envId: 'KeyDoor-v0', seed: 0, group, member: 0, actions: new Int32Array(n), logp: new Float32Array(n), rewards: new Float32Array(n),
  messages: Array(n).fill(''), success: false, terminated: true, truncated: false, policyVersion: 0, obs: new Float32Array(n * 2), obsDim: 2,
});

test('buildLearnerBatch places intrinsic step rewards like the combined ones (games and tokens); absent unless given', () => {
  const recs = [gameRecord(3, 0), gameRecord(2, 0)];
  const step = [Float32Array.of(0, 0.4, 10), Float32Array.of(0.1, 0)];
  const intr = [Float32Array.of(0, 0.4, 0), Float32Array.of(0.1, 0)];
  const b = buildLearnerBatch(recs, { returns: Float32Array.of(10.4, 0.1), stepRewards: step, intrinsicStepRewards: intr });
  assert.equal(Array.from(b.intrinsicStepRewards!), [0, Math.fround(0.4), 0, Math.fround(0.1), 0, 0]);
  assert.is(buildLearnerBatch(recs, { returns: Float32Array.of(10.4, 0.1), stepRewards: step }).intrinsicStepRewards, undefined);
  // tokens: an env-inserted token (policyMask 0) takes no reward; the policy tokens take them in order
  const tok: TrajectoryRecord = {
    ...gameRecord(0, 1), obs: undefined, obsDim: undefined, actions: new Int32Array(0),
    tokens: Int32Array.of(1, 2, 5, 6, 7), promptLength: 2, policyMask: Uint8Array.of(1, 0, 1), contLogp: new Float32Array(3),
  };
  const t = buildLearnerBatch([tok], { returns: Float32Array.of(1), stepRewards: [Float32Array.of(0.5, 0.5)], intrinsicStepRewards: [Float32Array.of(0.25, 0.5)] });
  assert.equal(Array.from(t.intrinsicStepRewards!), [0.25, 0, 0.5]);
  assert.equal(Array.from(t.stepRewards!), [0.5, 0, 0.5]);
});

test.run();
