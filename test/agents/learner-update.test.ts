/** GrpoLearner.update: exact vanilla at p = 0, non-finite skips, checkpoints, metrics, memory, learning. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { GrpoLearner, sliceRows, type GrpoConfigInput } from '../../agents/learner/index.ts';
import type { LearnerBatch, NamedWeights } from '../../agents/types.ts';
import { Packr, pack, unpack } from 'msgpackr';
import { useWasm, TinyPolicy, randomBatch, rng, type FixtureInputs } from './learner-fixture.ts';

await useWasm();

const D = 3, d = 4, V = 3;
const batchOf = (seed = 5, binary = false) => randomBatch(seed, { groups: 3, G: 4, L: 5, D, V, binary });
const flat = (w: NamedWeights) => Object.values(w).flatMap((e) => Array.from(e.data));
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

test('p = 0 gives exactly the vanilla GRPO loss, gradients and update (THR on vs off)', () => {
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    const batch = batchOf(8, true);
    const a = new TinyPolicy(D, d, V, 9), b = new TinyPolicy(D, d, V, 9);
    const withThr = new GrpoLearner(a, { lossType, maxCompletionLength: 8, thr: { enabled: true, p: 0, tau: 0 } });
    const vanilla = new GrpoLearner(b, { lossType, maxCompletionLength: 8, thr: { enabled: false } });
    const x = withThr.inspect(batch), y = vanilla.inspect(batch);
    assert.ok(x.thr !== null && x.thr.some((v) => v !== 0), 'THR was computed and is non-trivial');
    assert.is(y.thr, null);
    assert.ok(Object.is(x.loss, y.loss), `${lossType}: loss ${x.loss} vs ${y.loss}`);
    x.grads.forEach((g, i) => assert.ok(sameBits(g, y.grads[i]), `${lossType}: gradient ${i} differs`));
    const rx = withThr.update(batch), ry = vanilla.update(batch);
    assert.ok(sameBits(flat(a.getWeights()), flat(b.getWeights())), `${lossType}: weights after the update differ`);
    assert.ok(Object.is(rx.metrics.loss, ry.metrics.loss));
    assert.is(rx.metrics.thrWeightMean, 1);
    withThr.dispose(); vanilla.dispose(); a.dispose(); b.dispose();
  }
});

test('p ≠ 0 changes the gradient; thr-only masks tokens below τ', () => {
  const batch = batchOf(8, true);
  const pol = new TinyPolicy(D, d, V, 9);
  const g = (cfg: GrpoConfigInput) => { const l = new GrpoLearner(pol, cfg); const r = l.inspect(batch); l.dispose(); return r; };
  const base = g({ thr: { p: 0 } }), plus = g({ thr: { p: 0.5 } });
  assert.not.ok(sameBits(base.grads[2], plus.grads[2]), 'p = 0.5 changes the gradient');
  // Weighted advantages are 1 ± p times the vanilla ones, with the sign of THR.
  for (let k = 0; k < base.advantages.length; k++) {
    const thr = base.thr![k], a = base.advantages[k];
    const want = thr > 0 ? 1.5 * a : thr < 0 ? 0.5 * a : a;
    assert.ok(Math.abs(plus.advantages[k] - want) < 1e-6, `token ${k}`);
  }
  const absThr = base.thr!.map(Math.abs).filter((x, k) => batch.mask[k] > 0 && x > 0).sort();
  const tau = absThr[Math.floor(absThr.length / 2)];
  const only = g({ thr: { p: 0, tau, mode: 'thr-only' } });
  for (let k = 0; k < base.advantages.length; k++) {
    const want = Math.abs(base.thr![k]) > tau ? base.advantages[k] : 0;
    assert.is(only.advantages[k], want, `thr-only token ${k}`);
  }
  // Relative τ: τ = 1 keeps the tokens whose |THR| is above the batch's mean |THR| over non-zero THR.
  const real = base.thr!.filter((x, k) => batch.mask[k] > 0 && x !== 0).map(Math.abs);
  const mean = real.reduce((a, b) => a + b, 0) / real.length;
  const rel = g({ thr: { p: 0, tau: 1, threshold: 'relative', mode: 'thr-only' } });
  let kept = 0;
  for (let k = 0; k < base.advantages.length; k++) {
    const above = Math.abs(base.thr![k]) > mean;
    if (batch.mask[k] > 0 && above) kept++;
    assert.is(rel.advantages[k], above ? base.advantages[k] : 0, `relative τ token ${k}`);
  }
  assert.ok(kept > 0 && kept < real.length, 'relative τ splits the tokens');
  pol.dispose();
});

function expectUntouchedSkip(policy: TinyPolicy, learner: GrpoLearner<FixtureInputs>, batch: LearnerBatch<FixtureInputs>, pattern: RegExp) {
  const before = flat(policy.getWeights());
  const stateBefore = learner.getState();
  const r = learner.update(batch);
  assert.ok(r.skipped, 'update reports a skip');
  assert.match(r.skipped!, pattern);
  assert.is(r.metrics.optimizerSteps, 0);
  assert.ok(sameBits(flat(policy.getWeights()), before), 'weights untouched');
  const after = learner.getState();
  assert.is(after.adam.t, stateBefore.adam.t);
  assert.ok(sameBits(flat(after.adam.m), flat(stateBefore.adam.m)) && sameBits(flat(after.adam.v), flat(stateBefore.adam.v)), 'optimiser state untouched');
  assert.is(after.skippedUpdates, stateBefore.skippedUpdates + 1);
}

test('a non-finite loss skips the update, is reported, and never touches the weights', () => {
  const policy = new TinyPolicy(D, d, V, 2);
  const learner = new GrpoLearner(policy, {});
  learner.update(batchOf(1)); // Adam moments are non-zero from here on
  const bad = batchOf(2);
  bad.rewards[0] = NaN;
  expectUntouchedSkip(policy, learner, bad, /non-finite loss NaN/);
  const ok = learner.update(batchOf(3));
  assert.is(ok.skipped, undefined);
  assert.is(ok.metrics.optimizerSteps, 1);
  learner.dispose(); policy.dispose();
});

test('a non-finite gradient (finite loss) skips the update too', () => {
  const policy = new TinyPolicy(D, d, V, 2);
  const learner = new GrpoLearner(policy, {});
  learner.update(batchOf(1));
  policy.poisonGradient = true;
  expectUntouchedSkip(policy, learner, batchOf(2), /non-finite gradient norm NaN/);
  learner.dispose(); policy.dispose();
});

test('a non-finite step in the middle of a multi-step update rolls the whole update back', () => {
  const policy = new TinyPolicy(D, d, V, 2);
  const learner = new GrpoLearner(policy, { numIterations: 3, learningRate: 1e-2 });
  learner.update(batchOf(1));
  policy.poisonFromCall = policy.calls + 1; // the update's first step is clean, the second is poisoned
  const n0 = tf.memory().numTensors;
  expectUntouchedSkip(policy, learner, batchOf(2), /non-finite gradient norm NaN at epoch 1.*1 earlier step\(s\) rolled back/);
  assert.is(tf.memory().numTensors, n0, 'the snapshot is freed');
  learner.dispose(); policy.dispose();
});

test('metrics: every field finite and sensible; tensors do not leak', () => {
  const policy = new TinyPolicy(D, d, V, 4);
  const ref = new TinyPolicy(D, d, V, 5);
  const learner = new GrpoLearner(policy, { beta: 0.05, numIterations: 2, numMinibatches: 2, thr: { p: 0.3 } }, { refPolicy: ref });
  const batch = batchOf(6, true);
  batch.rewards.set([1, 1, 1, 1], 4); // group 1 all correct: zero std
  learner.update(batch); // warm-up: kernels and the optimiser's variables
  const n0 = tf.memory().numTensors;
  const { metrics: m, skipped, step } = learner.update(batch);
  assert.is(tf.memory().numTensors, n0, 'no tensor leaked by update()');
  assert.is(skipped, undefined);
  assert.is(step, 8);
  assert.is(m.optimizerSteps, 4);
  for (const [k, v] of Object.entries(m)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  assert.ok(Math.abs(m.zeroStdFraction - 1 / 3) < 1e-9);
  assert.ok(m.kl! > 0 && m.klOld >= 0 && m.entropy > 0 && m.entropy <= Math.log(V) + 1e-6);
  assert.ok(m.clipFraction >= 0 && m.clipFraction <= 1 && m.ratioMean > 0 && m.gradNorm > 0);
  assert.ok(m.thrSelected > 0 && m.thrSelected <= m.thrPositive + m.thrNegative + 1e-9, 'τ = 0 selects the tokens with THR ≠ 0');
  assert.ok(m.thrAbsMean > 0 && m.thrAbsMax >= m.thrAbsMean);
  assert.is(m.tokens, Array.from(batch.mask).filter((x) => x > 0).length);
  assert.is(m.sequences, 12); assert.is(m.groups, 3);
  learner.dispose(); policy.dispose(); ref.dispose();
});

test('getState/setState: a restored learner continues exactly like the original', () => {
  const cfg: GrpoConfigInput = { numMinibatches: 2, numIterations: 2, learningRate: 1e-2 };
  const a = new TinyPolicy(D, d, V, 7), b = new TinyPolicy(D, d, V, 8);
  const la = new GrpoLearner(a, cfg);
  la.update(batchOf(1)); la.update(batchOf(2));
  const state = structuredClone(la.getState()); // survives a worker-thread postMessage
  const b0 = a.getWeights();
  b.setWeights(b0);
  const lb = new GrpoLearner(b, cfg);
  lb.setState(state);
  la.update(batchOf(3)); lb.update(batchOf(3));
  assert.ok(sameBits(flat(a.getWeights()), flat(b.getWeights())), 'same weights after one more update');
  assert.equal(lb.counters, la.counters);
  // Checkpoint encodings: msgpackr with and without moreTypes (typed arrays come back as bytes), JSON-like arrays.
  for (const decoded of [
    new Packr({ moreTypes: true }).unpack(new Packr({ moreTypes: true }).pack(state)),
    unpack(pack(state)),
    JSON.parse(JSON.stringify(state, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))),
  ]) {
    const c = new TinyPolicy(D, d, V, 8);
    c.setWeights(b0);
    const lc = new GrpoLearner(c, cfg);
    lc.setState(decoded);
    lc.update(batchOf(3));
    assert.ok(sameBits(flat(a.getWeights()), flat(c.getWeights())), 'restored from an encoded state');
    lc.dispose(); c.dispose();
  }
  const broken = structuredClone(state);
  broken.adam.m['0:x'] = { shape: [9], data: new Float32Array(9) };
  delete broken.adam.m[Object.keys(broken.adam.m)[0]];
  assert.throws(() => lb.setState(broken), /shape|no entry/);
  la.dispose(); lb.dispose(); a.dispose(); b.dispose();
});

test('learning: on a contextual bandit the rewarded action becomes likely', () => {
  // One step per rollout; reward 1 when the action equals argmax of the first 3 observation features.
  const policy = new TinyPolicy(D, 8, V, 12, 0.3);
  const learner = new GrpoLearner(policy, { learningRate: 0.05, thr: { p: 0.3 } });
  let seed = 100;
  const sample = rng(2024);
  const context = (s: number) => Array.from({ length: D }, (_, i) => Math.sin(s * 7.1 + i * 3.3));
  const accuracy = () => tf.tidy(() => {
    const obs = Float32Array.from({ length: 60 * D }, (_, k) => context(10_000 + Math.floor(k / D))[k % D]);
    const logits = policy.evaluate({ obs, B: 60, L: 1 }).logits.reshape([60, V]);
    const pred = logits.argMax(-1).dataSync();
    let ok = 0;
    for (let b = 0; b < 60; b++) { const o = obs.subarray(b * D, b * D + D); ok += pred[b] === o.indexOf(Math.max(...o)) ? 1 : 0; }
    return ok / 60;
  });
  const before = accuracy();
  for (let it = 0; it < 60; it++) {
    const G = 8, groups = 4, B = G * groups;
    const obs = new Float32Array(B * D);
    const ctx = Array.from({ length: groups }, (_, g) => context(seed + g));
    seed += groups;
    for (let b = 0; b < B; b++) obs.set(ctx[Math.floor(b / G)], b * D);
    const lp = tf.tidy(() => tf.logSoftmax(policy.evaluate({ obs, B, L: 1 }).logits.reshape([B, V])));
    const lpv = lp.dataSync();
    lp.dispose();
    // Seeded inverse-CDF sampling in JS (tf.multinomial treats seed 0 as "no seed": not reproducible).
    const actions = new Int32Array(B), logp = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let u = sample(), a = 0;
      while (a < V - 1 && (u -= Math.exp(lpv[b * V + a])) > 0) a++;
      actions[b] = a;
      logp[b] = lpv[b * V + a];
    }
    const rewards = Float32Array.from(actions, (a, b) => { const c = ctx[Math.floor(b / G)]; return a === c.indexOf(Math.max(...c)) ? 1 : 0; });
    learner.update({
      inputs: { obs, B, L: 1 }, B, L: 1, actions: Int32Array.from(actions), mask: new Float32Array(B).fill(1),
      behaviourLogp: Float32Array.from(logp), rewards, groups: Int32Array.from({ length: B }, (_, b) => Math.floor(b / G)),
    });
  }
  const after = accuracy();
  assert.ok(after >= 0.8 && after > before + 0.2, `greedy accuracy ${before} → ${after}`);
  if (process.env.THRIVE_TEST_VERBOSE) console.log(`bandit greedy accuracy ${before} → ${after}`);
  learner.dispose(); policy.dispose();
});

test('process advantages, GSPO and several epochs run end to end', () => {
  const policy = new TinyPolicy(D, d, V, 3);
  const batch = batchOf(4);
  batch.stepRewards = Float32Array.from(batch.mask, (m, k) => (m ? Math.sin(k) : 0));
  const learner = new GrpoLearner(policy, { advantageMode: 'process', importanceSampling: 'sequence', numIterations: 3 });
  const r = learner.update(batch);
  assert.is(r.skipped, undefined);
  assert.is(r.metrics.optimizerSteps, 3);
  assert.ok(r.metrics.klOld > 0, 'later epochs move off the behaviour policy');
  delete batch.stepRewards;
  assert.throws(() => learner.update(batch), /advantageMode 'process' needs LearnerBatch\.stepRewards/);
  learner.dispose(); policy.dispose();
});

test('bad construction and bad batches are rejected with the key named', () => {
  const policy = new TinyPolicy(D, d, V, 3);
  assert.throws(() => new GrpoLearner(policy, { beta: 0.1 }), /beta = 0\.1 needs a frozen reference policy/);
  assert.throws(() => new GrpoLearner(policy, { lr: 1 } as never), /unknown config key 'learner\.lr'/);
  const learner = new GrpoLearner(policy, { numMinibatches: 20 });
  const b = batchOf(1);
  assert.throws(() => learner.update(b), /numMinibatches = 20 exceeds the batch's B = 12/);
  assert.throws(() => learner.update({ ...b, rewards: new Float32Array(5) }), /'rewards' has 5 entries, expected 12/);
  assert.throws(() => learner.update({ ...b, mask: Float32Array.from(b.mask, (m, k) => (k === 3 ? 0.5 : m)) }), /mask\[3\] = 0\.5/);
  const wrongAction = { ...b, actions: Int32Array.from(b.actions, (a, k) => (k === 0 ? 7 : a)) };
  assert.throws(() => learner.update(wrongAction), /actions\[0\] = 7 is outside/);
  learner.dispose(); policy.dispose();
});

test('sliceRows cuts typed arrays into rows and updates B', () => {
  const x = sliceRows({ obs: Float32Array.of(0, 1, 2, 3, 4, 5), B: 3, L: 1, tag: 'g' }, [2, 0], 3);
  assert.equal({ ...x, obs: Array.from(x.obs) }, { obs: [4, 5, 0, 1], B: 2, L: 1, tag: 'g' });
  assert.throws(() => sliceRows({ obs: new Float32Array(5), B: 3 }, [0], 3), /inputs\.obs has 5 entries/);
});

test.run();
