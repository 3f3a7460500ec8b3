/**
 * The GRPO objective: hand-computed loss values for every loss type (+ clip-higher, KL, GSPO), and the
 * learner's gradients against float64 finite differences of an independent JS implementation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { grpoLoss, aggregationCoefficients, GrpoLearner, LOSS_STATS, type LossType } from '../../agents/learner/index.ts';
import { useWasm, TinyPolicy, forward64, referenceLoss, randomBatch, type RefLossOptions } from './learner-fixture.ts';

await useWasm();

const close = (a: number, b: number, tol = 1e-5, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);

/**
 * Two sequences, L = 2, the second one token long. Ratios: seq 0 [1.5, 0.9] with Â = +1, seq 1 [0.7] with
 * Â = −1; ε = 0.2. Per-token losses: −min(1.5, 1.2) = −1.2 (high clip), −0.9, −min(−0.7, −0.8) = +0.8 (low clip).
 */
function handCase(lossType: LossType, o: { epsilonHigh?: number; sequence?: boolean; beta?: number } = {}) {
  const mask = Float32Array.of(1, 1, 1, 0);
  const old = Float32Array.of(-1, -1, -1, 0);
  const ratios = [1.5, 0.9, 0.7, 1];
  const logp = Float32Array.from(ratios, (r, k) => Math.log(r) + old[k]);
  const coef = aggregationCoefficients(lossType, mask, 2, [0, 1], { maxLength: 3 });
  return tf.tidy(() => {
    const out = grpoLoss({
      logp: tf.tensor2d(logp, [2, 2]), oldLogp: tf.tensor2d(old, [2, 2]),
      advantages: tf.tensor2d([1, 1, -1, 0], [2, 2]), coef: tf.tensor2d(coef, [2, 2]), mask: tf.tensor2d(mask, [2, 2]),
      // log π_ref = log π_θ + ln 2 at every token: k3 = 2 − ln 2 − 1.
      refLogp: o.beta ? tf.tensor2d(logp.map((x) => x + Math.LN2), [2, 2]) : undefined,
    }, { epsilonLow: 0.2, epsilonHigh: o.epsilonHigh ?? 0.2, beta: o.beta ?? 0, importanceSampling: o.sequence ? 'sequence' : 'token' });
    return { loss: out.loss.dataSync()[0], stats: Array.from(out.stats.dataSync()) };
  });
}

const k3 = 2 - Math.LN2 - 1;
for (const [name, lossType, opts, expected] of [
  ['grpo', 'grpo', {}, ((-1.2 - 0.9) / 2 + 0.8) / 2],
  ['bnpo', 'bnpo', {}, (-1.2 - 0.9 + 0.8) / 3],
  ['dr_grpo (L_max = 3, not the batch L = 2)', 'dr_grpo', {}, (-1.2 - 0.9 + 0.8) / 6],
  ['dapo', 'dapo', {}, (-1.2 - 0.9 + 0.8) / 3],
  ['clip-higher ε_high 0.28 (bnpo)', 'bnpo', { epsilonHigh: 0.28 }, (-1.28 - 0.9 + 0.8) / 3],
  ['k3 KL β = 0.1 (bnpo)', 'bnpo', { beta: 0.1 }, (-1.2 - 0.9 + 0.8 + 3 * 0.1 * k3) / 3],
  // GSPO: s_0 = sqrt(1.5·0.9) = 1.1619 (inside the clip range), s_1 = 0.7 (clipped to 0.8).
  ['GSPO sequence ratio (grpo)', 'grpo', { sequence: true }, (-Math.sqrt(1.35) + 0.8) / 2],
] as [string, LossType, { epsilonHigh?: number; sequence?: boolean; beta?: number }, number][]) {
  test(`loss value, hand-computed: ${name}`, () => {
    close(handCase(lossType, opts).loss, expected, 1e-5);
  });
}

test('loss statistics: ratio, clip fractions, KL to old and ref, token count', () => {
  const { stats } = handCase('bnpo', { beta: 0.1 });
  const s = Object.fromEntries(LOSS_STATS.map((k, i) => [k, stats[i]]));
  close(s.ratioMean, 1.5 + 0.9 + 0.7);
  assert.is(s.clipFractionLow, 1);
  assert.is(s.clipFractionHigh, 1);
  close(s.klRef, 3 * k3);
  const k3old = (r: number) => 1 / r - Math.log(1 / r) - 1;
  close(s.klOld, k3old(1.5) + k3old(0.9) + k3old(0.7));
  assert.is(s.tokens, 3);
});

test('padding cannot poison the loss: a huge behaviour log-prob on a padded position is ignored', () => {
  const value = tf.tidy(() => grpoLoss({
    logp: tf.tensor2d([[-1, -50]]), oldLogp: tf.tensor2d([[-1, 1e9]]), advantages: tf.tensor2d([[1, 0]]),
    coef: tf.tensor2d([[1, 0]]), mask: tf.tensor2d([[1, 0]]),
  }, { epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, importanceSampling: 'token' }).loss.dataSync()[0]);
  close(value, -1);
});

// ---- gradients against finite differences ----
const D = 3, d = 4, V = 3;

interface GradCase { name: string; lossType: LossType; sequence?: boolean; beta?: number; thrP?: number; epsilonHigh?: number; sampleWeights?: boolean; entropyCoef?: number }
const gradCases: GradCase[] = [
  { name: 'grpo', lossType: 'grpo' },
  { name: 'bnpo', lossType: 'bnpo' },
  { name: 'dr_grpo', lossType: 'dr_grpo' },
  { name: 'dapo + clip-higher', lossType: 'dapo', epsilonHigh: 0.28 },
  { name: 'GSPO (grpo aggregation)', lossType: 'grpo', sequence: true },
  { name: 'bnpo + k3 KL β = 0.2', lossType: 'bnpo', beta: 0.2 },
  { name: 'grpo + THR p = 0.5', lossType: 'grpo', thrP: 0.5 },
  { name: 'dapo + sample weights', lossType: 'dapo', sampleWeights: true },
  { name: 'dapo + entropy bonus κ = 0.3', lossType: 'dapo', entropyCoef: 0.3 },
  { name: 'dr_grpo + entropy bonus κ = 0.1', lossType: 'dr_grpo', entropyCoef: 0.1 },
];
const MAX_LEN = 6; // maxCompletionLength for dr_grpo: larger than the batch's L = 4

for (const gc of gradCases) {
  test(`gradients match float64 finite differences: ${gc.name}`, () => {
    const policy = new TinyPolicy(D, d, V, 3);
    const ref = new TinyPolicy(D, d, V, 4);
    const batch = randomBatch(11, { groups: 2, G: 3, L: 4, D, V });
    if (gc.sampleWeights) batch.sampleWeights = Float32Array.of(1, 0.5, 2, 1, 1, 0.25);
    const cfg = {
      lossType: gc.lossType, beta: gc.beta ?? 0, epsilonHigh: gc.epsilonHigh ?? 0.2,
      importanceSampling: gc.sequence ? 'sequence' as const : 'token' as const,
      thr: { p: gc.thrP ?? 0 }, maxCompletionLength: MAX_LEN, entropyCoef: gc.entropyCoef ?? 0,
    };
    const learner = new GrpoLearner(policy, cfg, gc.beta ? { refPolicy: ref } : {});
    const got = learner.inspect(batch);
    // THR weights are constants of the objective (computed from the first forward): reuse the learner's
    // weighted advantages so the reference differentiates the same function.
    const adv = got.advantages;
    if (gc.thrP) assert.ok(got.thr && got.thr.some((x) => x !== 0), 'THR was computed');
    const N = batch.B * batch.L;
    const refFwd = forward64(ref.params(), D, d, V, batch.inputs.obs, N);
    const refLogp = Array.from({ length: N }, (_, k) => refFwd.logp[k][batch.actions[k]]);
    const o: RefLossOptions = { lossType: gc.lossType, epsilonLow: 0.2, epsilonHigh: cfg.epsilonHigh, beta: cfg.beta, sequence: !!gc.sequence, maxLength: MAX_LEN, entropyCoef: cfg.entropyCoef };
    const lossAt = (p: Float64Array[]) => {
      const f = forward64(p, D, d, V, batch.inputs.obs, N);
      const entropy = f.logp.map((row) => -row.reduce((a, x) => a + Math.exp(x) * x, 0));
      return referenceLoss(Array.from({ length: N }, (_, k) => f.logp[k][batch.actions[k]]), batch, adv, o, refLogp, entropy);
    };
    const params = policy.params();
    close(got.loss, lossAt(params), 1e-4, 'loss');
    const h = 1e-6;
    let maxErr = 0, maxG = 0;
    params.forEach((arr, vi) => {
      for (let i = 0; i < arr.length; i++) {
        const keep = arr[i];
        arr[i] = keep + h; const up = lossAt(params);
        arr[i] = keep - h; const down = lossAt(params);
        arr[i] = keep;
        const fd = (up - down) / (2 * h);
        maxErr = Math.max(maxErr, Math.abs(fd - got.grads[vi][i]));
        maxG = Math.max(maxG, Math.abs(fd));
      }
    });
    assert.ok(maxG > 1e-3, `gradient is not trivially zero (max ${maxG})`);
    assert.ok(maxErr <= 1e-4 + 1e-3 * maxG, `max |autodiff − finite difference| = ${maxErr} (max |grad| ${maxG})`);
    learner.dispose(); policy.dispose(); ref.dispose();
  });
}

test.run();
