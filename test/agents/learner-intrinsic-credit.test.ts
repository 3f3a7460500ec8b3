/**
 * Per-step credit for intrinsic rewards (advantageMode 'outcome+intrinsic-to-go', docs/algorithms.md §1):
 * hand-computed cases, "a reward at step t reaches tokens ≤ t only", the extrinsic outcome part, and
 * zero intrinsic = today's outcome advantages bit for bit (also through the learner).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GrpoLearner, groupAdvantages, intrinsicToGoAdvantages, packGroups, tokenAdvantages, validateGrpoConfig,
} from '../../agents/learner/index.ts';
import { useWasm, TinyPolicy, randomBatch, rng } from './learner-fixture.ts';

await useWasm();

const close = (a: number, b: number, msg = '') => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
const closeAll = (a: ArrayLike<number>, b: ArrayLike<number>, msg = '') => {
  assert.is(a.length, b.length, `${msg} length`);
  for (let i = 0; i < a.length; i++) close(a[i]!, b[i]!, `${msg}[${i}]`);
};
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

// Group of two, L = 3. Rollout 0: intrinsic 0.4 at step 1, goal (c_ext·1 = 10) at step 2 → R = 10.4.
// Rollout 1: two steps, nothing → R = 0.
const R = Float32Array.of(10.4, 0);
const U = Float32Array.of(0, 0.4, 0, 0, 0, 0);
const M = Float32Array.of(1, 1, 1, 1, 1, 0);
const G = Int32Array.of(0, 0);

test("hand-computed, scale 'none': the intrinsic reward at step 1 credits tokens 0–1 only", () => {
  // G_0 = [0.4, 0.4, 0], G_1 = [0, 0, 0]; E = [10, 0], mean 5; baseline_t = [0.2, 0.2, 0]
  const r = intrinsicToGoAdvantages(R, U, M, G, 3, 'none');
  closeAll(r.advantages, [5.2, 5.2, 5, -5.2, -5.2, 0]);
  // the summed (outcome) form gives every token of rollout 0 +5.2, including the one after the reward
  closeAll(tokenAdvantages(groupAdvantages(R, G, 'none').advantages, M, 3), [5.2, 5.2, 5.2, -5.2, -5.2, 0]);
  assert.is(r.zeroStdFraction, 0);
  assert.is(r.numGroups, 1);
});

test("hand-computed, scale 'group': the same numerators over std_g(R) + ε", () => {
  const denom = Math.sqrt(2 * 5.2 ** 2) + 1e-4; // Bessel std of [10.4, 0]
  const r = intrinsicToGoAdvantages(R, U, M, G, 3, 'group');
  closeAll(r.advantages, [5.2, 5.2, 5, -5.2, -5.2, 0].map((x) => x / denom));
});

test('zero-std groups get 0, as in the outcome form; padding is 0', () => {
  const r = intrinsicToGoAdvantages(Float32Array.of(1, 1), Float32Array.of(1, 0, 0, 0, 1, 0), M, G, 3);
  assert.ok(r.advantages.every((x) => x === 0));
  assert.is(r.zeroStdFraction, 1);
});

/** A random batch of groups with intrinsic step rewards and returns that include them. */
function randomCase(seed: number, opts: { groups: number; G: number; L: number; intrinsic: boolean }) {
  const r = rng(seed);
  const B = opts.groups * opts.G, L = opts.L;
  const mask = new Float32Array(B * L), u = new Float32Array(B * L), returns = new Float32Array(B);
  const groups = Int32Array.from({ length: B }, (_, b) => Math.floor(b / opts.G));
  for (let b = 0; b < B; b++) {
    const n = 1 + Math.floor(r() * L);
    mask.fill(1, b * L, b * L + n);
    let ret = r() < 0.3 ? 10 : 0;
    if (opts.intrinsic) for (let t = 0; t < n; t++) if (r() < 0.3) { u[b * L + t] = 0.4 * r(); ret += u[b * L + t]!; }
    returns[b] = ret;
  }
  return { B, L, mask, u, returns, groups };
}

test('zero intrinsic gives exactly the outcome advantages, bit for bit, for every scaling', () => {
  for (const scale of ['group', 'batch', 'none'] as const) {
    for (const seed of [1, 2, 3]) {
      const c = randomCase(seed, { groups: 4, G: 5, L: 7, intrinsic: false });
      const a = intrinsicToGoAdvantages(c.returns, c.u, c.mask, c.groups, c.L, scale);
      const o = groupAdvantages(c.returns, c.groups, scale);
      assert.ok(sameBits(a.advantages, tokenAdvantages(o.advantages, c.mask, c.L)), `${scale} seed ${seed}`);
      assert.is(a.zeroStdFraction, o.zeroStdFraction);
    }
  }
});

test('an intrinsic reward at step t reaches tokens ≤ t only (every rollout of its group), other groups untouched', () => {
  const c = randomCase(7, { groups: 3, G: 4, L: 8, intrinsic: true });
  const base = intrinsicToGoAdvantages(c.returns, c.u, c.mask, c.groups, c.L, 'none').advantages;
  for (const [b, t] of [[1, 3], [5, 0], [9, 6]] as const) {
    if (!(c.mask[b * c.L + t]! > 0)) continue;
    const u2 = c.u.slice(), R2 = c.returns.slice();
    u2[b * c.L + t]! += 0.25; R2[b]! += 0.25;
    const moved = intrinsicToGoAdvantages(R2, u2, c.mask, c.groups, c.L, 'none').advantages;
    for (let j = 0; j < c.B; j++) {
      for (let s = 0; s < c.L; s++) {
        const k = j * c.L + s, d = moved[k]! - base[k]!;
        if (c.groups[j] !== c.groups[b] || s > t || !(c.mask[k]! > 0)) close(d, 0, `row ${j} step ${s} after a reward at (${b}, ${t})`);
        // inside the group at s ≤ t: +0.25 for the rewarded rollout less the baseline's share, −share for the others
        else close(d, (j === b ? 0.25 : 0) - 0.25 / 4, `row ${j} step ${s}`);
      }
    }
  }
});

test('the extrinsic outcome part is unchanged: Â − intrinsic to-go part = outcome advantage of the extrinsic returns', () => {
  for (const scale of ['group', 'batch', 'none'] as const) {
    const c = randomCase(11, { groups: 3, G: 6, L: 9, intrinsic: true });
    const a = intrinsicToGoAdvantages(c.returns, c.u, c.mask, c.groups, c.L, scale).advantages;
    // independent float64 reference
    const toGo = (b: number, t: number) => { let s = 0; for (let x = t; x < c.L; x++) s += c.mask[b * c.L + x]! * c.u[b * c.L + x]!; return s; };
    for (let g = 0; g < 3; g++) {
      const rows = Array.from({ length: 6 }, (_, i) => g * 6 + i);
      const Rg = rows.map((b) => c.returns[b]!), mean = Rg.reduce((x, y) => x + y, 0) / 6;
      const std = Math.sqrt(Rg.reduce((x, y) => x + (y - mean) ** 2, 0) / 5);
      const all = Array.from(c.returns), bm = all.reduce((x, y) => x + y, 0) / all.length;
      const bstd = Math.sqrt(all.reduce((x, y) => x + (y - bm) ** 2, 0) / (all.length - 1));
      const denom = scale === 'group' ? std + 1e-4 : scale === 'batch' ? bstd + 1e-4 : 1;
      const E = rows.map((b) => c.returns[b]! - toGo(b, 0)), Em = E.reduce((x, y) => x + y, 0) / 6;
      rows.forEach((b, i) => {
        for (let t = 0; t < c.L; t++) {
          if (!(c.mask[b * c.L + t]! > 0)) { assert.is(a[b * c.L + t], 0); continue; }
          const base = rows.reduce((s, j) => s + toGo(j, t), 0) / 6;
          const intrinsicPart = (toGo(b, t) - base) / denom;
          close(a[b * c.L + t]! - intrinsicPart, (E[i]! - Em) / denom, `${scale} row ${b} step ${t}`);
        }
      });
    }
  }
});

test('first token: the same advantage as the summed outcome form', () => {
  const c = randomCase(13, { groups: 2, G: 5, L: 6, intrinsic: true });
  const a = intrinsicToGoAdvantages(c.returns, c.u, c.mask, c.groups, c.L).advantages;
  const o = groupAdvantages(c.returns, c.groups).advantages;
  for (let b = 0; b < c.B; b++) close(a[b * c.L]!, o[b]!, `row ${b}`);
});

test('config accepts the mode; the learner needs intrinsicStepRewards; zero intrinsic = outcome through the learner', () => {
  assert.is(validateGrpoConfig({ advantageMode: 'outcome+intrinsic-to-go' }).advantageMode, 'outcome+intrinsic-to-go');
  assert.throws(() => validateGrpoConfig({ advantageMode: 'to-go' }), /'outcome', 'process', 'outcome\+intrinsic-to-go'/);
  const batch = randomBatch(5, { groups: 3, G: 4, L: 5, D: 3, V: 3 });
  const pol = new TinyPolicy(3, 4, 3, 9);
  const perStep = new GrpoLearner(pol, { advantageMode: 'outcome+intrinsic-to-go' });
  const outcome = new GrpoLearner(pol, { advantageMode: 'outcome' });
  assert.throws(() => perStep.inspect(batch), /needs LearnerBatch\.intrinsicStepRewards/);
  const withZero = { ...batch, intrinsicStepRewards: new Float32Array(batch.B * batch.L) };
  const x = perStep.inspect(withZero), y = outcome.inspect(batch);
  assert.ok(Object.is(x.loss, y.loss), `${x.loss} vs ${y.loss}`);
  assert.ok(sameBits(x.advantages, y.advantages));
  // an intrinsic reward at step 0 of a rollout: the same first-token advantage as the summed form, not after
  const L = batch.L, b = Array.from({ length: batch.B }, (_, i) => i).find((i) => batch.mask[i * L + 1] === 1)!;
  const u = new Float32Array(batch.B * L); u[b * L] = 0.3;
  const rewards = batch.rewards.slice(); rewards[b]! += 0.3;
  const z = perStep.inspect({ ...batch, rewards, intrinsicStepRewards: u }).advantages;
  const summed = outcome.inspect({ ...batch, rewards }).advantages;
  close(z[b * L]!, summed[b * L]!, 'first token');
  assert.ok(z[b * L + 1]! < summed[b * L + 1]! - 1e-3, 'the token after the reward gets less credit than in the summed form');
  assert.throws(() => perStep.inspect({ ...batch, intrinsicStepRewards: new Float32Array(3) }), /'intrinsicStepRewards' has 3 entries/);
  perStep.dispose(); outcome.dispose(); pol.dispose();
});

test('packGroups carries intrinsicStepRewards', () => {
  const b = packGroups([[
    { actions: [0, 1], behaviourLogp: [0, 0], reward: 1.4, intrinsicStepRewards: [0.4, 0] },
    { actions: [1], behaviourLogp: [0], reward: 0, intrinsicStepRewards: [0] },
  ]], { B: 2 });
  assert.equal(Array.from(b.intrinsicStepRewards!), [Math.fround(0.4), 0, 0, 0]);
  assert.throws(() => packGroups([[{ actions: [0], behaviourLogp: [0], reward: 0, intrinsicStepRewards: [0] }, { actions: [0], behaviourLogp: [0], reward: 0 }]], {}),
    /no intrinsicStepRewards while others do/);
});

test.run();
