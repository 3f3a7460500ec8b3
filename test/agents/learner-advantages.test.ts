/** Pure parts of the learner: config validation, group/process advantages, THR and its weights. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  groupAdvantages, processAdvantages, tokenAdvantages, tokenHiddenReward, thrWeights, thrStats, correctRollouts,
  validateGrpoConfig, aggregationCoefficients, packGroups, type ThrInputs,
} from '../../agents/learner/index.ts';
import { rng } from './learner-fixture.ts';

const close = (a: number, b: number, tol = 1e-5, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
const closeAll = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5, msg = '') => {
  assert.is(a.length, b.length, `${msg} length`);
  for (let i = 0; i < a.length; i++) close(a[i], b[i], tol, `${msg}[${i}]`);
};

// ---- config ----
test('config: defaults follow TRL where they apply', () => {
  const c = validateGrpoConfig({});
  assert.is(c.epsilonLow, 0.2); assert.is(c.epsilonHigh, 0.2); assert.is(c.beta, 0);
  assert.is(c.scaleRewards, 'group'); assert.is(c.numIterations, 1); assert.is(c.maxGradNorm, 1);
  assert.equal(c.thr, { enabled: true, p: 0, tau: 0, mode: 'reweight', correctThreshold: null, threshold: 'absolute', source: 'learner', behaviourLag: 1 });
  assert.is(c.maxCompletionLength, null); assert.is(c.entropyCoef, 0);
});

for (const [input, pattern] of [
  [{ epsilonHgh: 0.3 }, /unknown config key 'learner\.epsilonHgh' \(did you mean 'learner\.epsilonHigh'\?\)/],
  [{ lossType: 'ppo' }, /'learner\.lossType'.*'grpo', 'bnpo', 'dr_grpo', 'dapo'/],
  [{ thr: { p: 1.5 } }, /'learner\.thr\.p' must be a number >= -1 and <= 1, got 1\.5/],
  [{ thr: { tua: 0 } }, /unknown config key 'learner\.thr\.tua'/],
  [{ numIterations: 1.5 }, /'learner\.numIterations'.*integer/],
  [{ learningRate: 0 }, /'learner\.learningRate'/],
  [{ thr: { mode: 'mask' } }, /'learner\.thr\.mode'.*'reweight', 'thr-only'/],
  [{ thr: 3 }, /'learner\.thr'.*object/],
] as [Record<string, unknown>, RegExp][]) {
  test(`config: rejects ${JSON.stringify(input)}`, () => {
    assert.throws(() => validateGrpoConfig(input), pattern);
  });
}

test('config: partial thr keeps the other defaults; returns a fresh object', () => {
  const c = validateGrpoConfig({ thr: { p: -0.5 }, epsilonHigh: 0.28 });
  assert.is(c.thr.p, -0.5); assert.is(c.thr.mode, 'reweight'); assert.is(c.epsilonHigh, 0.28);
  c.thr.p = 1;
  assert.is(validateGrpoConfig({}).thr.p, 0);
});

// ---- outcome advantages ----
const s4 = Math.sqrt(1 / 3); // Bessel std of [1, 0, 0, 1]
for (const [scale, expected] of [
  ['group', [0.5 / (s4 + 1e-4), -0.5 / (s4 + 1e-4), -0.5 / (s4 + 1e-4), 0.5 / (s4 + 1e-4), 0, 0]],
  // batch std of [1,0,0,1,3,3]: mean 4/3, Σdev² = 2·(1/9)+2·(16/9)+2·(25/9) = 84/9, /5 → sqrt(84/45)
  ['batch', [1, -1, -1, 1, 0, 0].map((s) => (0.5 * s) / (Math.sqrt(84 / 45) + 1e-4))],
  ['none', [0.5, -0.5, -0.5, 0.5, 0, 0]],
] as const) {
  test(`groupAdvantages: hand-computed, scale '${scale}'`, () => {
    const r = groupAdvantages(Float32Array.of(1, 0, 0, 1, 3, 3), Int32Array.of(0, 0, 0, 0, 1, 1), scale);
    closeAll(r.advantages, expected);
    close(r.zeroStdFraction, 0.5);
    assert.is(r.numGroups, 2);
  });
}

test('groupAdvantages: all-equal and single-member groups give exactly 0, never NaN', () => {
  const r = groupAdvantages(Float32Array.of(0.3, 0.3, 0.3, 7, 1e9, 1e9), Int32Array.of(2, 2, 2, 5, 9, 9), 'group');
  assert.equal(Array.from(r.advantages), [0, 0, 0, 0, 0, 0]);
  close(r.zeroStdFraction, 1);
});

test('groupAdvantages: groups need not be contiguous', () => {
  const a = groupAdvantages(Float32Array.of(1, 5, 0, 5), Int32Array.of(0, 1, 0, 1)).advantages;
  close(a[0], 0.5 / (Math.SQRT1_2 + 1e-4)); close(a[2], -0.5 / (Math.SQRT1_2 + 1e-4)); assert.is(a[1], 0);
});

test('processAdvantages: hand-computed normalised rewards to go', () => {
  // group 0: rollout 0 steps [0, 1, 0]; rollout 1 steps [0, 0, pad]. Real values [0,1,0,0,0]:
  // mean 0.2, Bessel std sqrt(0.8/4).
  const sd = Math.sqrt(0.2) + 1e-4, lo = -0.2 / sd, hi = 0.8 / sd;
  const r = processAdvantages(Float32Array.of(0, 1, 0, 0, 0, 99), Float32Array.of(1, 1, 1, 1, 1, 0), Int32Array.of(0, 0), 3);
  closeAll(r.advantages, [hi + 2 * lo, hi + lo, lo, 2 * lo, lo, 0]);
  assert.is(r.zeroStdFraction, 0);
});

test('processAdvantages: constant step rewards → zero advantages and counted as zero-std', () => {
  const r = processAdvantages(new Float32Array(6).fill(0.5), Float32Array.of(1, 1, 1, 1, 1, 0), Int32Array.of(0, 0), 3);
  assert.equal(Array.from(r.advantages), [0, 0, 0, 0, 0, 0]);
  assert.is(r.zeroStdFraction, 1);
});

test('tokenAdvantages broadcasts over real tokens only', () => {
  assert.equal(Array.from(tokenAdvantages(Float32Array.of(2, -1), Float32Array.of(1, 1, 0, 1, 0, 0), 3)), [2, 2, 0, -1, 0, 0]);
});

// ---- aggregation coefficients ----
test('aggregationCoefficients: each loss type on a hand case', () => {
  const mask = Float32Array.of(1, 1, 1, 0); // B=2, L=2: lengths 2 and 1
  closeAll(aggregationCoefficients('grpo', mask, 2, [0, 1]), [1 / 4, 1 / 4, 1 / 2, 0]);
  closeAll(aggregationCoefficients('bnpo', mask, 2, [0, 1]), [1 / 3, 1 / 3, 1 / 3, 0]);
  closeAll(aggregationCoefficients('dr_grpo', mask, 2, [0, 1], { maxLength: 5 }), [1 / 10, 1 / 10, 1 / 10, 0]);
  assert.throws(() => aggregationCoefficients('dr_grpo', mask, 2, [0, 1]), /dr_grpo.*maxLength/);
  closeAll(aggregationCoefficients('dapo', mask, 2, [0, 1]), [1 / 3, 1 / 3, 1 / 3, 0]);
  // dapo over 2 minibatches: normaliser = 3 tokens / 2 for every minibatch, whatever its own token count.
  closeAll(aggregationCoefficients('dapo', mask, 2, [1], { numMinibatches: 2 }), [2 / 3, 0]);
  closeAll(aggregationCoefficients('bnpo', mask, 2, [1], { numMinibatches: 2 }), [1, 0]);
  closeAll(aggregationCoefficients('grpo', mask, 2, [0, 1], { sampleWeights: Float32Array.of(0.5, 2) }), [1 / 8, 1 / 8, 1, 0]);
});

// ---- THR ----
/**
 * Toy group, V = 2, d = 2, every probability 0.5. Rollout 0 is correct (Â = +1), one token:
 *   t0: y=0, h=[1,0]  → g0 = [ .5, −.5]
 * Rollout 1 is wrong (Â = −1), three tokens:
 *   t1: y=0, h=[1,0]  (the same token as t0)           g·g0 = .5,  h·h0 = 1 → THR = −.5c (hurts C)
 *   t2: y=1, h=[1,1]  (the other action, similar state) g·g0 = −.5, h·h0 = 1 → THR = +.5c (helps C)
 *   t3: y=1, h=[0,1]  (orthogonal state)               h·h0 = 0          → THR = 0
 * and t0 itself: (g0·g0)(h0·h0) = .5 → THR = +.5c.
 */
function toyGroup(): ThrInputs {
  const B = 2, L = 3, V = 2, d = 2;
  const mask = Float32Array.of(1, 0, 0, 1, 1, 1);
  const hidden = Float32Array.of(1, 0, 0, 0, 0, 0, /* rollout 1 */ 1, 0, 1, 1, 0, 1);
  return {
    B, L, V, d, mask, hidden,
    probs: new Float32Array(B * L * V).fill(0.5),
    actions: Int32Array.of(0, 0, 0, 0, 1, 1),
    groups: Int32Array.of(0, 0),
    correct: Uint8Array.of(1, 0),
    advantages: Float32Array.of(1, 0, 0, -1, -1, -1),
    coef: aggregationCoefficients('bnpo', mask, L, [0, 1]), // c = 1/4 for each of the 4 tokens
  };
}

for (const form of ['outer', 'gram'] as const) {
  test(`THR: hand-computed toy group, signs and magnitudes (${form} form)`, () => {
    const thr = tokenHiddenReward(toyGroup(), form);
    closeAll(thr, [0.5 / 4, 0, 0, -0.5 / 4, 0.5 / 4, 0]);
  });
}

test('THR: no correct response in the group → all zero; groups do not mix', () => {
  const x = toyGroup();
  assert.equal(Array.from(tokenHiddenReward({ ...x, correct: Uint8Array.of(0, 0) })), [0, 0, 0, 0, 0, 0]);
  // Rollout 1 in its own group: its C is empty, so its THR is 0; rollout 0 keeps its self-term.
  closeAll(tokenHiddenReward({ ...x, groups: Int32Array.of(0, 1) }), [0.5 / 4, 0, 0, 0, 0, 0]);
});

test('THR: both forms equal a brute-force double loop on random data', () => {
  const r = rng(7);
  const B = 6, L = 5, V = 7, d = 4, N = B * L;
  const logits = Array.from({ length: N * V }, () => r() * 4 - 2);
  const probs = new Float32Array(N * V);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v]);
    for (let v = 0; v < V; v++) probs[n * V + v] = Math.exp(logits[n * V + v]) / s;
  }
  const mask = Float32Array.from({ length: N }, (_, k) => (k % L < 1 + ((k / L) | 0) % L ? 1 : 0));
  const x: ThrInputs = {
    B, L, V, d, probs, mask,
    hidden: Float32Array.from({ length: N * d }, () => r() * 2 - 1),
    actions: Int32Array.from({ length: N }, () => Math.floor(r() * V)),
    groups: Int32Array.of(0, 0, 0, 1, 1, 1),
    correct: Uint8Array.of(1, 0, 1, 0, 0, 1),
    advantages: Float32Array.from({ length: N }, (_, k) => (mask[k] ? r() * 2 - 1 : 0)),
    coef: aggregationCoefficients('grpo', mask, L, [0, 1, 2, 3, 4, 5]),
  };
  const brute = new Float32Array(N);
  const g = (k: number) => Array.from({ length: V }, (_, v) => (v === x.actions[k] ? 1 : 0) - probs[k * V + v]);
  for (let t = 0; t < N; t++) {
    if (!mask[t]) continue;
    let acc = 0;
    for (let s = 0; s < N; s++) {
      const bs = (s / L) | 0;
      if (!mask[s] || !x.correct[bs] || x.groups[bs] !== x.groups[(t / L) | 0]) continue;
      const gt = g(t), gs = g(s);
      let gg = 0, hh = 0;
      for (let v = 0; v < V; v++) gg += gt[v] * gs[v];
      for (let j = 0; j < d; j++) hh += x.hidden[t * d + j] * x.hidden[s * d + j];
      acc += gg * hh;
    }
    brute[t] = x.coef[t] * x.advantages[t] * acc;
  }
  const scale = Math.max(...brute.map(Math.abs));
  for (const form of ['outer', 'gram'] as const) {
    const thr = tokenHiddenReward(x, form);
    for (let k = 0; k < N; k++) assert.ok(Math.abs(thr[k] - brute[k]) <= 1e-5 * scale, `${form}[${k}] ${thr[k]} vs ${brute[k]}`);
  }
  assert.ok(brute.some((v) => v > 0) && brute.some((v) => v < 0), 'random case has both signs');
});

test('THR: input lengths are checked, naming the array', () => {
  assert.throws(() => tokenHiddenReward({ ...toyGroup(), hidden: new Float32Array(3) }), /hidden has 3 entries/);
});

// ---- weights and stats ----
test('thrWeights: reweight and thr-only, with τ', () => {
  const thr = Float32Array.of(0.5, -0.5, 0.05, 0, 9);
  const mask = Float32Array.of(1, 1, 1, 1, 0);
  assert.equal(Array.from(thrWeights(thr, mask, { p: 0.5, tau: 0.1, mode: 'reweight' })), [1.5, 0.5, 1, 1, 1]);
  assert.equal(Array.from(thrWeights(thr, mask, { p: -0.5, tau: 0.1, mode: 'reweight' })), [0.5, 1.5, 1, 1, 1]);
  assert.equal(Array.from(thrWeights(thr, mask, { p: 0.5, tau: 0.1, mode: 'thr-only' })), [1.5, 0.5, 0, 0, 1]);
  assert.equal(Array.from(thrWeights(thr, mask, { p: 0, tau: 0, mode: 'reweight' })), [1, 1, 1, 1, 1]);
});

test('thrStats: fractions over real tokens', () => {
  const s = thrStats(Float32Array.of(0.5, -0.5, 0.05, 0, 9), Float32Array.of(1, 1, 1, 1, 0), { tau: 0.1 });
  close(s.thrPositive, 0.5); close(s.thrNegative, 0.25); close(s.thrSelected, 0.5); close(s.thrAbsMean, 1.05 / 4); close(s.thrAbsMax, 0.5);
});

test('correctRollouts: explicit flags, threshold, above-group-mean rule', () => {
  const rewards = Float32Array.of(1, 0, 0.4, 0.4, 0.9, 0.1), groups = Int32Array.of(0, 0, 1, 1, 2, 2);
  assert.equal(Array.from(correctRollouts(rewards, groups, 0.5)), [1, 0, 0, 0, 1, 0]);
  assert.equal(Array.from(correctRollouts(rewards, groups, null)), [1, 0, 0, 0, 1, 0]);
  assert.equal(Array.from(correctRollouts(rewards, groups, 0.3)), [1, 0, 1, 1, 1, 0]);
  assert.equal(Array.from(correctRollouts(rewards, groups, 0.5, Uint8Array.of(0, 1, 0, 0, 0, 0))), [0, 1, 0, 0, 0, 0]);
});

test('packGroups: pads groups of rollouts into [B, L] and names a bad rollout', () => {
  const batch = packGroups([
    [{ actions: [1, 2], behaviourLogp: [-0.1, -0.2], reward: 1, correct: true }, { actions: [0], behaviourLogp: [-0.3], reward: 0 }],
    [{ actions: [2, 2, 1], behaviourLogp: [-1, -2, -3], reward: 0.5, sampleWeight: 0.5 }],
  ], (B, L) => ({ B, L }));
  assert.equal(batch.inputs, { B: 3, L: 3 });
  assert.is(batch.B, 3); assert.is(batch.L, 3);
  assert.equal(Array.from(batch.actions), [1, 2, 0, 0, 0, 0, 2, 2, 1]);
  assert.equal(Array.from(batch.mask), [1, 1, 0, 1, 0, 0, 1, 1, 1]);
  closeAll(batch.behaviourLogp, [-0.1, -0.2, 0, -0.3, 0, 0, -1, -2, -3]);
  assert.equal(Array.from(batch.groups), [0, 0, 1]);
  assert.equal(Array.from(batch.correct!), [1, 0, 0]);
  assert.equal(Array.from(batch.sampleWeights!), [1, 1, 0.5]);
  assert.is(batch.stepRewards, undefined);
  assert.throws(() => packGroups([[{ actions: [1, 2], behaviourLogp: [-1], reward: 0 }]], {}), /group 0 rollout 0 has 2 actions but 1 behaviourLogp/);
});

test.run();
