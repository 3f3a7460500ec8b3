/**
 * The learner on the project's real policies (agents/policies): the game MLP and the token transformer,
 * with minibatches (default input slicer on both input layouts), several epochs, GSPO and THR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend, GamePolicy, TokenPolicy, GrpoLearner, aggregationCoefficients, type LearnerBatch, type TrainablePolicy } from '../../agents/index.ts';
import { rng } from './learner-fixture.ts';

process.env.THRIVE_BACKEND_QUIET = '1';
await initBackend('wasm');

/** Behaviour log-probs from the policy itself (ratio 1 at the first step), binary rewards in groups of G. */
function finishBatch<I>(policy: TrainablePolicy<I>, inputs: I, B: number, L: number, G: number, actions: Int32Array, seed: number): LearnerBatch<I> {
  const r = rng(seed);
  const lp = tf.tidy(() => tf.logSoftmax(policy.evaluate(inputs).logits, -1).reshape([B * L, policy.numActions]).mul(tf.oneHot(tf.tensor1d(actions, 'int32'), policy.numActions)).sum(-1));
  const logp = lp.dataSync() as Float32Array;
  lp.dispose();
  const mask = new Float32Array(B * L);
  for (let b = 0; b < B; b++) { const len = 1 + Math.floor(r() * L); for (let t = 0; t < len; t++) mask[b * L + t] = 1; }
  return {
    inputs, B, L, actions: Int32Array.from(actions, (a, k) => (mask[k] ? a : 0)), mask,
    behaviourLogp: Float32Array.from(logp, (x, k) => (mask[k] ? x : 0)),
    rewards: Float32Array.from({ length: B }, (_, b) => (b % 3 === 0 ? 1 : 0)),
    groups: Int32Array.from({ length: B }, (_, b) => Math.floor(b / G)),
  };
}

const policies: [string, () => { policy: TrainablePolicy<unknown>; batch: LearnerBatch<unknown> }][] = [
  ['GamePolicy (mlp)', () => {
    const policy = new GamePolicy({ obsShape: [2, 4, 4], numActions: 5, hidden: [16, 16], seed: 3 });
    const B = 8, L = 6, r = rng(1);
    const obs = Float32Array.from({ length: B * L * 32 }, () => (r() < 0.2 ? 1 : 0));
    const actions = Int32Array.from({ length: B * L }, () => Math.floor(r() * 5));
    return { policy: policy as TrainablePolicy<unknown>, batch: finishBatch(policy, { obs, B, L }, B, L, 4, actions, 2) as LearnerBatch<unknown> };
  }],
  ['TokenPolicy (transformer)', () => {
    const policy = new TokenPolicy({ vocabSize: 16, width: 16, layers: 1, heads: 2, context: 16, seed: 3 });
    const B = 8, P = 3, L = 5, T = P + L, r = rng(4);
    const tokens = Int32Array.from({ length: B * T }, () => 1 + Math.floor(r() * 15));
    const actions = new Int32Array(B * L);
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) actions[b * L + t] = tokens[b * T + P + t];
    return { policy: policy as TrainablePolicy<unknown>, batch: finishBatch(policy, { tokens, B, T, promptLength: P }, B, L, 4, actions, 5) as LearnerBatch<unknown> };
  }],
];

for (const [name, make] of policies) {
  for (const cfg of [
    { thr: { p: 0.5 } },
    { numMinibatches: 2, numIterations: 2, thr: { p: -0.5 } },
    { importanceSampling: 'sequence' as const, lossType: 'grpo' as const, epsilonLow: 3e-4, epsilonHigh: 4e-4 },
  ]) {
    test(`${name}: update with ${JSON.stringify(cfg)}`, () => {
      const { policy, batch } = make();
      const learner = new GrpoLearner(policy, { ...cfg, learningRate: 1e-2 });
      const before = Object.values(policy.getWeights()).flatMap((w) => Array.from(w.data));
      const first = learner.inspect(batch);
      assert.ok(first.thr!.some((x) => x > 0) && first.thr!.some((x) => x < 0), 'THR has both signs');
      const n0 = tf.memory().numTensors;
      const res = learner.update(batch);
      assert.is(tf.memory().numTensors, n0, 'no tensor leaked');
      assert.is(res.skipped, undefined);
      const steps = (cfg.numMinibatches ?? 1) * (cfg.numIterations ?? 1);
      assert.is(res.metrics.optimizerSteps, steps);
      // Behaviour log-probs came from this very policy, so the first step's ratio is 1 and its loss is −Σ c_t·Â_t
      // (Â_t THR-weighted): a check of the real policies' log-probs and the aggregation together.
      const coef = aggregationCoefficients(learner.config.lossType, batch.mask, batch.L, Array.from({ length: batch.B }, (_, b) => b));
      const expected = -coef.reduce((s, c, k) => s + c * first.advantages[k], 0);
      assert.ok(Math.abs(first.loss - expected) < 1e-5, `first loss ${first.loss} vs ${expected}`);
      // One step: the ratio is measured before the step, so exactly 1; later epochs move off-policy.
      if (steps === 1) assert.ok(Math.abs(res.metrics.ratioMean - 1) < 1e-5 && res.metrics.clipFraction === 0, `ratio ${res.metrics.ratioMean}`);
      else assert.ok(res.metrics.klOld > 0 && res.metrics.ratioMean > 0, `ratio ${res.metrics.ratioMean}, klOld ${res.metrics.klOld}`);
      assert.ok(res.metrics.entropy > 0.1, `entropy ${res.metrics.entropy}`);
      const after = Object.values(policy.getWeights()).flatMap((w) => Array.from(w.data));
      assert.ok(after.some((x, i) => x !== before[i]), 'weights moved');
      assert.ok(Number.isFinite(res.metrics.loss) && res.metrics.gradNorm > 0);
      learner.dispose(); policy.dispose();
    });
  }
}

test.run();
