/**
 * learner.temperature (TRL GRPOConfig.temperature): the learner scores softmax(logits / T) everywhere —
 * loss/ratio, KL, entropy, THR — checked against a float64 hand computation; T = 1 is unchanged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { GrpoLearner, validateGrpoConfig, tokenHiddenReward, aggregationCoefficients, correctRollouts } from '../../agents/learner/index.ts';
import { useWasm, TinyPolicy, forward64, referenceLoss, randomBatch, type RefLossOptions } from './learner-fixture.ts';

await useWasm();

const close = (a: number, b: number, tol = 1e-5, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
const D = 3, d = 4, V = 5;

/** Float64 log-softmax(z / T) from the fixture's log-softmax(z): log-softmax is shift-invariant, so z can be logp. */
function tempered(logp: Float64Array, T: number): Float64Array {
  const z = logp.map((x) => x / T);
  const m = Math.max(...z);
  let s = 0;
  for (const x of z) s += Math.exp(x - m);
  const lse = m + Math.log(s);
  return z.map((x) => x - lse);
}

function reference(policy: TinyPolicy, batch: ReturnType<typeof randomBatch>, T: number) {
  const N = batch.B * batch.L;
  const f = forward64(policy.params(), D, d, V, batch.inputs.obs, N);
  const logp = f.logp.map((row) => tempered(row, T));
  return { logp, hidden: f.hidden, chosen: Array.from({ length: N }, (_, k) => logp[k][batch.actions[k]]) };
}

const opts: RefLossOptions = { lossType: 'dapo', epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, sequence: false };

test('config: temperature defaults to 1, must be a finite number > 0', () => {
  assert.is(validateGrpoConfig({}).temperature, 1);
  assert.is(validateGrpoConfig({ temperature: 0.7 }).temperature, 0.7);
  for (const bad of [0, -1, Infinity, NaN, '0.7']) {
    assert.throws(() => validateGrpoConfig({ temperature: bad } as never), /temperature/);
  }
});

for (const T of [0.7, 1.6]) {
  test(`T = ${T}: first-step loss equals the one computed from logits / T (and differs from T = 1's)`, () => {
    const policy = new TinyPolicy(D, d, V, 3, 1.5);
    const batch = randomBatch(21, { groups: 2, G: 3, L: 4, D, V });
    const learner = new GrpoLearner(policy, { temperature: T, thr: { enabled: false } });
    const got = learner.inspect(batch);
    const ref = reference(policy, batch, T);
    close(got.loss, referenceLoss(ref.chosen, batch, got.advantages, opts), 1e-5, 'loss at T');
    const plain = reference(policy, batch, 1);
    const lossT1 = referenceLoss(plain.chosen, batch, got.advantages, opts);
    assert.ok(Math.abs(got.loss - lossT1) > 1e-3, `the temperature changes the loss (${got.loss} vs T = 1: ${lossT1})`);
    learner.dispose(); policy.dispose();
  });
}

test('T = 0.7: behaviour log-probs under softmax(logits / T) give ratio 1 and klOld 0 at the first step; plain ones do not', () => {
  const T = 0.7;
  const policy = new TinyPolicy(D, d, V, 5, 1.5);
  const batch = randomBatch(22, { groups: 2, G: 4, L: 3, D, V });
  const ref = reference(policy, batch, T);
  const N = batch.B * batch.L;
  // Entropy of softmax(z / T) over real tokens, float64.
  let ent = 0, tokens = 0;
  for (let k = 0; k < N; k++) if (batch.mask[k]) { tokens++; for (const x of ref.logp[k]) ent -= Math.exp(x) * x; }
  const run = (behaviour: ArrayLike<number>, temperature: number) => {
    const p = new TinyPolicy(D, d, V, 5, 1.5);
    const learner = new GrpoLearner(p, { temperature, thr: { enabled: false } });
    const r = learner.update({ ...batch, behaviourLogp: Float32Array.from({ length: N }, (_, k) => (batch.mask[k] ? behaviour[k] : 0)) });
    learner.dispose(); p.dispose();
    return r.metrics;
  };
  const m = run(ref.chosen, T);
  close(m.ratioMean, 1, 1e-5, 'ratioMean');
  assert.ok(Math.abs(m.klOld) < 1e-6, `klOld ${m.klOld}`);
  close(m.entropy, ent / tokens, 1e-5, 'entropy of softmax(logits / T)');
  // The same behaviour log-probs scored by a T = 1 learner: not like with like, the ratio is off.
  const mismatched = run(ref.chosen, 1);
  assert.ok(Math.abs(mismatched.ratioMean - 1) > 1e-2, `a T = 1 learner disagrees (ratioMean ${mismatched.ratioMean})`);
  policy.dispose();
});

test('T = 0.7: the k3 KL to the reference scores both policies at logits / T', () => {
  const T = 0.7;
  const policy = new TinyPolicy(D, d, V, 10, 1.5), refP = new TinyPolicy(D, d, V, 11, 1.5);
  const batch = randomBatch(26, { groups: 2, G: 3, L: 4, D, V });
  const pol = reference(policy, batch, T), ref = reference(refP, batch, T);
  const N = batch.B * batch.L;
  let kl = 0, tokens = 0;
  for (let k = 0; k < N; k++) if (batch.mask[k]) { tokens++; const x = ref.chosen[k] - pol.chosen[k]; kl += Math.exp(x) - x - 1; }
  const learner = new GrpoLearner(policy, { temperature: T, beta: 0.1, thr: { enabled: false } }, { refPolicy: refP });
  const got = learner.inspect(batch);
  close(got.loss, referenceLoss(pol.chosen, batch, got.advantages, { ...opts, beta: 0.1 }, ref.chosen), 1e-5, 'loss with KL');
  const m = learner.update(batch).metrics;
  close(m.kl!, kl / tokens, 1e-5, 'kl');
  learner.dispose(); policy.dispose(); refP.dispose();
});

test('T = 0.7: THR uses g = e_y − softmax(logits / T) and carries 1/T²', () => {
  const T = 0.7;
  const policy = new TinyPolicy(D, d, V, 6, 1.5);
  const batch = randomBatch(23, { groups: 2, G: 4, L: 3, D, V, binary: true });
  const learner = new GrpoLearner(policy, { temperature: T, thr: { enabled: true, p: 0, correctThreshold: 0.5 } });
  const got = learner.inspect(batch);
  assert.ok(got.thr && got.thr.some((x) => x !== 0), 'THR was computed');
  const N = batch.B * batch.L;
  const at = (temperature: number) => {
    const ref = reference(policy, batch, temperature);
    return tokenHiddenReward({
      B: batch.B, L: batch.L, V, d,
      probs: Float32Array.from(ref.logp.flatMap((row) => Array.from(row, Math.exp))),
      hidden: Float32Array.from(ref.hidden.flatMap((h) => Array.from(h))),
      actions: batch.actions, mask: batch.mask, groups: batch.groups,
      correct: correctRollouts(batch.rewards, batch.groups, 0.5),
      advantages: got.advantages, coef: aggregationCoefficients('dapo', batch.mask, batch.L, Array.from({ length: batch.B }, (_, b) => b)),
      temperature,
    });
  };
  const want = at(T), plain = at(1);
  let err = 0, scale = 0, diff = 0;
  for (let k = 0; k < N; k++) { err = Math.max(err, Math.abs(got.thr![k] - want[k])); scale = Math.max(scale, Math.abs(want[k])); diff = Math.max(diff, Math.abs(want[k] - plain[k])); }
  assert.ok(err <= 1e-4 * scale, `THR vs float64 at T: max err ${err} (scale ${scale})`);
  assert.ok(diff > 1e-2 * scale, `THR at T differs from THR at 1 (max diff ${diff}, scale ${scale})`);
  learner.dispose(); policy.dispose();
});

test('T = 1 is bit-identical to a learner without the option (metrics and trained weights, several steps)', () => {
  const batch = randomBatch(24, { groups: 2, G: 3, L: 4, D, V, binary: true });
  const run = (cfg: Record<string, unknown>) => {
    const p = new TinyPolicy(D, d, V, 7);
    const learner = new GrpoLearner(p, { numIterations: 2, numMinibatches: 2, thr: { p: 0.3, correctThreshold: 0.5 }, ...cfg });
    const r = learner.update(batch);
    const w = p.getWeights();
    learner.dispose(); p.dispose();
    const { updateMs, thrMs, thrDownloadMs, ...metrics } = r.metrics;
    return { metrics, w };
  };
  const a = run({}), b = run({ temperature: 1 }), c = run({ temperature: 0.9 });
  assert.equal(b.metrics, a.metrics);
  for (const k of Object.keys(a.w)) assert.equal(Array.from(b.w[k].data), Array.from(a.w[k].data), `weights ${k}`);
  assert.ok(Object.keys(a.w).some((k) => a.w[k].data.some((x, i) => x !== c.w[k].data[i])), 'T = 0.9 trains differently');
  // The minibatch path (numMinibatches > 1) was exercised; tensors do not leak.
  assert.ok(a.metrics.optimizerSteps === 4);
});

test('no tensor leak with T ≠ 1 (single batch and minibatches, with a reference policy)', () => {
  const policy = new TinyPolicy(D, d, V, 8), refP = new TinyPolicy(D, d, V, 9);
  const batch = randomBatch(25, { groups: 2, G: 3, L: 4, D, V, binary: true });
  for (const numMinibatches of [1, 2]) {
    const learner = new GrpoLearner(policy, { temperature: 0.7, beta: 0.1, numMinibatches, thr: { correctThreshold: 0.5 } }, { refPolicy: refP });
    learner.update(batch);
    const before = tf.memory().numTensors;
    const r = learner.update(batch);
    assert.is(tf.memory().numTensors, before, `numMinibatches ${numMinibatches}`);
    assert.ok(r.metrics.kl !== undefined && Number.isFinite(r.metrics.kl));
    learner.dispose();
  }
  policy.dispose(); refP.dispose();
});

test.run();
