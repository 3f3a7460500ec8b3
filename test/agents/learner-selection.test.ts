/**
 * THR as the paper uses it: dominant-token threshold modes (absolute, relative over non-zero THR, NTHR's
 * per-group heuristic), THR from the behaviour snapshot (and the sign-disagreement metric), and TRL's
 * dr_grpo / dapo normalisers against a float64 re-enactment of TRL's micro-batch loop.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  GrpoLearner, aggregationCoefficients, selectDominantTokens, signDisagreement, validateGrpoConfig,
} from '../../agents/learner/index.ts';
import type { LearnerBatch, NamedWeights } from '../../agents/types.ts';
import { useWasm, TinyPolicy, randomBatch, type FixtureInputs } from './learner-fixture.ts';

await useWasm();

const D = 3, d = 4, V = 3;
const close = (a: number, b: number, tol = 1e-6, msg = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
const flat = (w: NamedWeights) => Object.values(w).flatMap((e) => Array.from(e.data));
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

// ---- threshold modes (pure) ----
test('relative threshold: τ × mean |THR| over the tokens with THR ≠ 0 — zeros (zero-std groups) do not dilute it', () => {
  const thr = Float32Array.of(0.4, -0.2, 0.35, 0.05);
  const base = { influence: null, groups: Int32Array.of(0, 0), correct: Uint8Array.of(1, 0), L: 2 };
  const a = selectDominantTokens({ ...base, thr, mask: Float32Array.of(1, 1, 1, 1) }, { threshold: 'relative', tau: 1 });
  close(a.tau, 0.25);
  assert.equal(Array.from(a.selected), [1, 0, 1, 0]);
  // The same tokens plus a group whose THR is all 0: same threshold, same selection.
  const thr2 = Float32Array.of(0.4, -0.2, 0.35, 0.05, 0, 0, 0, 0);
  const b = selectDominantTokens({ influence: null, thr: thr2, mask: new Float32Array(8).fill(1), groups: Int32Array.of(0, 0, 1, 1), correct: Uint8Array.of(1, 0, 1, 1), L: 2 }, { threshold: 'relative', tau: 1 });
  close(b.tau, 0.25);
  assert.equal(Array.from(b.selected), [1, 0, 1, 0, 0, 0, 0, 0]);
  // Absolute: τ in THR units; THR = 0 is never selected, even at τ = 0.
  assert.equal(Array.from(selectDominantTokens({ ...base, thr: Float32Array.of(0.4, 0, -0.1, 0.05), mask: Float32Array.of(1, 1, 1, 1) }, { threshold: 'absolute', tau: 0 }).selected), [1, 0, 1, 1]);
});

test("nthr threshold: per group, τ_g = τ · min over correct responses of their mean influence, compared with |I_t|", () => {
  // L = 3. Group 0: rollout 0 correct (I = .3, .5 → mean .4), rollout 1 correct (I = .2 → .2), rollout 2 wrong.
  // Group 1: rollout 3 wrong only (no correct response: nothing selected).
  const L = 3;
  const mask = Float32Array.of(1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0);
  const infl = Float32Array.of(0.3, 0.5, 0, 0.2, 0, 0, 0.25, -0.1, 0.15, 0.9, 0.9, 0);
  const adv = [1, 1, 0, 1, 0, 0, -2, -2, -2, 0, 0, 0];
  const thr = Float32Array.from(infl, (x, k) => x * adv[k]); // group 1 has THR 0 (no correct response)
  const x = { thr, influence: infl, mask, groups: Int32Array.of(0, 0, 0, 1), correct: Uint8Array.of(1, 1, 0, 0), L };
  const one = selectDominantTokens(x, { threshold: 'nthr', tau: 1 });
  close(one.tau, 0.2);
  assert.equal(Array.from(one.selected), [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  const two = selectDominantTokens(x, { threshold: 'nthr', tau: 2 });
  close(two.tau, 0.4);
  assert.equal(Array.from(two.selected), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => selectDominantTokens({ ...x, influence: null }, { threshold: 'nthr', tau: 1 }), /nthr.*influence/);
});

test('nthr through the learner: thr-only keeps exactly the tokens an independent recomputation selects; thrSelected reports their share', () => {
  const batch = randomBatch(8, { groups: 3, G: 4, L: 5, D, V, binary: true });
  const pol = new TinyPolicy(D, d, V, 9);
  const vanilla = new GrpoLearner(pol, { thr: { p: 0 } });
  const base = vanilla.inspect(batch);
  vanilla.dispose();
  const learner = new GrpoLearner(pol, { thr: { p: 0, tau: 1, threshold: 'nthr', mode: 'thr-only', correctThreshold: 0.5 } });
  const got = learner.inspect(batch);
  const { B, L } = batch;
  // Influence I = THR / Â from the vanilla pass; τ_g from the correct rollouts' mean I, recomputed here.
  let kept = 0, real = 0;
  for (let g = 0; g < 3; g++) {
    const rows = Array.from({ length: B }, (_, b) => b).filter((b) => batch.groups[b] === g);
    const means = rows.filter((b) => batch.rewards[b] > 0.5).map((b) => {
      const ks = Array.from({ length: L }, (_, t) => b * L + t).filter((k) => batch.mask[k] > 0 && base.thr![k] !== 0);
      return ks.reduce((s, k) => s + base.thr![k] / base.advantages[k], 0) / ks.length;
    }).filter(Number.isFinite);
    const tauG = means.length ? Math.max(0, Math.min(...means)) : Infinity;
    for (const b of rows) for (let t = 0; t < L; t++) {
      const k = b * L + t;
      if (!(batch.mask[k] > 0)) continue;
      real++;
      const sel = base.thr![k] !== 0 && Math.abs(base.thr![k] / base.advantages[k]) > tauG;
      if (sel) kept++;
      close(got.advantages[k], sel ? base.advantages[k] : 0, 1e-6, `token ${k}`);
    }
  }
  assert.ok(kept > 0 && kept < real, `the heuristic selects a strict subset (${kept} of ${real})`);
  const m = learner.update(batch).metrics;
  close(m.thrSelected, kept / real, 1e-9, 'thrSelected');
  learner.dispose(); pol.dispose();
});

// ---- THR from the behaviour snapshot ----
test("thr.source 'behaviour': update 1 uses the learner's weights; update 2 the weights at the start of update 1 (lag 1)", () => {
  const cfg = { learningRate: 0.3, thr: { p: 0.5, correctThreshold: 0.5 } };
  const pol = new TinyPolicy(D, d, V, 4);
  const learner = new GrpoLearner(pol, { ...cfg, thr: { ...cfg.thr, source: 'behaviour' } });
  const w0 = pol.getWeights();
  const m1 = learner.update(randomBatch(1, { groups: 2, G: 4, L: 4, D, V, binary: true })).metrics;
  assert.is(m1.thrSignDisagreement, 0, 'first update: behaviour = learner');
  const w1 = pol.getWeights();
  assert.not.ok(sameBits(flat(w0), flat(w1)), 'update 1 moved the weights');
  const batch2 = randomBatch(2, { groups: 2, G: 4, L: 4, D, V, binary: true });
  // Reference THRs from fresh learners on copies holding W0 (behaviour) and W1 (learner).
  const thrAt = (w: NamedWeights) => {
    const p = new TinyPolicy(D, d, V, 99); p.setWeights(w);
    const l = new GrpoLearner(p, cfg);
    const r = l.inspect(batch2);
    l.dispose(); p.dispose();
    return r;
  };
  const atW0 = thrAt(w0), atW1 = thrAt(w1);
  const got = learner.inspect(batch2);
  assert.ok(sameBits(flat(pol.getWeights()), flat(w1)), 'inspect swaps the behaviour weights in and back out exactly');
  got.thr!.forEach((x, k) => close(x, atW0.thr![k], 1e-6, `THR token ${k} from W0`));
  got.advantages.forEach((x, k) => close(x, atW0.advantages[k], 1e-6, `weighted advantage ${k}`));
  const m2 = learner.update(batch2).metrics;
  close(m2.thrSignDisagreement!, signDisagreement(atW0.thr!, atW1.thr!, batch2.mask), 1e-12, 'sign disagreement');
  assert.ok(m2.thrSignDisagreement! > 0 && m2.thrSignDisagreement! < 1, `a large step (lr 0.3) flips some signs, not all: ${m2.thrSignDisagreement}`);
  learner.dispose(); pol.dispose();
});

test("thr.source 'behaviour' with lag 2 uses the weights of two update starts ago; p = 0 stays bit-identical to vanilla; no tensor leaks", () => {
  const batches = [1, 2, 3, 4].map((s) => randomBatch(s, { groups: 2, G: 4, L: 4, D, V, binary: true }));
  const a = new TinyPolicy(D, d, V, 4), b = new TinyPolicy(D, d, V, 4);
  const beh = new GrpoLearner(a, { learningRate: 0.05, thr: { p: 0, source: 'behaviour', behaviourLag: 2, correctThreshold: 0.5 } });
  const van = new GrpoLearner(b, { learningRate: 0.05, thr: { enabled: false } });
  const starts: NamedWeights[] = [];
  for (let i = 0; i < 3; i++) { starts.push(a.getWeights()); beh.update(batches[i]); van.update(batches[i]); }
  assert.ok(sameBits(flat(a.getWeights()), flat(b.getWeights())), 'p = 0: the snapshot swaps leave the update exactly vanilla');
  // Update 4 (index 3) samples with version 3 − 2 = 1: the weights at the start of update 2 (index 1).
  const p = new TinyPolicy(D, d, V, 99); p.setWeights(starts[1]);
  const l = new GrpoLearner(p, { thr: { p: 0, correctThreshold: 0.5 } });
  const want = l.inspect(batches[3]).thr!;
  beh.inspect(batches[3]).thr!.forEach((x, k) => close(x, want[k], 1e-6, `token ${k}`));
  const n0 = tf.memory().numTensors;
  beh.update(batches[3]);
  assert.is(tf.memory().numTensors, n0, 'the snapshot ring stays at `lag` copies');
  l.dispose(); p.dispose(); beh.dispose(); van.dispose(); a.dispose(); b.dispose();
});

// ---- TRL's normalisers ----
/**
 * Float64 re-enactment of TRL GRPOTrainer's loss normalisation over one optimiser step: the step's rows are
 * split into `ga` equal micro-batches (gradient accumulation); each micro-batch's token loss is summed and
 *   dr_grpo: divided by (micro-batch rows · max_completion_length) and by ga;
 *   dapo:    divided by num_items_in_batch (active tokens of the whole generation batch) · ga / steps_per_generation
 * (the window rescale of TRL PR #6024; steps_per_generation = ga × optimiser steps per generation batch).
 * Returns each token's total coefficient over the step, [rows.length * L].
 */
function trlStepCoefficients(lossType: 'dr_grpo' | 'dapo', mask: Float32Array, L: number, rows: number[], o: { maxLen: number; genTokens: number; ga: number; stepsPerGeneration: number }): number[] {
  const out = new Array(rows.length * L).fill(0);
  const m = rows.length / o.ga;
  for (let mb = 0; mb < o.ga; mb++) {
    const micro = rows.slice(mb * m, (mb + 1) * m);
    const norm = lossType === 'dr_grpo' ? micro.length * o.maxLen * o.ga : (o.genTokens * o.ga) / o.stepsPerGeneration;
    micro.forEach((b, i) => { for (let t = 0; t < L; t++) if (mask[b * L + t] > 0) out[(mb * m + i) * L + t] += 1 / norm; });
  }
  return out;
}

for (const lossType of ['dr_grpo', 'dapo'] as const) {
  test(`${lossType}: per-step coefficients equal TRL's micro-batch normalisation (2 optimiser steps × 2 micro-batches)`, () => {
    const batch = randomBatch(3, { groups: 2, G: 4, L: 5, D, V });
    const genTokens = Array.from(batch.mask).reduce((a, x) => a + x, 0);
    const steps = [[0, 2, 5, 7], [1, 3, 4, 6]]; // numMinibatches = 2 (rows shuffled), ga = 2 micro-batches each
    for (const rows of steps) {
      const ours = aggregationCoefficients(lossType, batch.mask, batch.L, rows, { totalTokens: genTokens, numMinibatches: 2, maxLength: 9 });
      const trl = trlStepCoefficients(lossType, batch.mask, batch.L, rows, { maxLen: 9, genTokens, ga: 2, stepsPerGeneration: 4 });
      trl.forEach((x, i) => close(ours[i], x, 1e-6, `row-token ${i}`));
    }
  });
}

test("dr_grpo: the loss does not depend on the batch's padding length (L_max is the constant)", () => {
  const batch = randomBatch(5, { groups: 2, G: 3, L: 4, D, V });
  const longer = padTo(batch, 7);
  const pol = new TinyPolicy(D, d, V, 2);
  const l = new GrpoLearner(pol, { lossType: 'dr_grpo', maxCompletionLength: 10 });
  close(l.inspect(batch).loss, l.inspect(longer).loss, 1e-6);
  assert.throws(() => new GrpoLearner(pol, { lossType: 'dr_grpo' }), /dr_grpo.*maxCompletionLength/);
  assert.throws(() => validateGrpoConfig({ maxCompletionLength: 0 }), /maxCompletionLength/);
  assert.throws(() => validateGrpoConfig({ thr: { threshold: 'median' } }), /thr\.threshold.*'absolute', 'relative', 'nthr'/);
  assert.throws(() => validateGrpoConfig({ entropyCoef: -1 }), /entropyCoef/);
  l.dispose(); pol.dispose();
});

test('entropy bonus: κ > 0 lowers the loss by κ·Σ c_t H_t at the first step; κ = 0 is bit-identical to no option', () => {
  const batch = randomBatch(6, { groups: 2, G: 3, L: 4, D, V });
  const pol = new TinyPolicy(D, d, V, 2);
  const run = (cfg: object) => { const l = new GrpoLearner(pol, cfg); const r = l.update(batch).metrics; l.dispose(); return r; };
  const w = pol.getWeights();
  const plain = run({ learningRate: 1e-9 });
  pol.setWeights(w);
  const zero = run({ learningRate: 1e-9, entropyCoef: 0 });
  pol.setWeights(w);
  const bonus = run({ learningRate: 1e-9, entropyCoef: 0.5 });
  assert.ok(Object.is(plain.loss, zero.loss), 'κ = 0 builds no term');
  // dapo: c_t = 1/tokens, so Σ c_t H_t is the mean entropy over real tokens (the `entropy` metric).
  close(bonus.loss, plain.loss - 0.5 * plain.entropy, 1e-5, 'loss with the bonus');
  pol.dispose();
});

/** The same batch with its padding extended to L2 positions. */
function padTo(b: LearnerBatch<FixtureInputs>, L2: number): LearnerBatch<FixtureInputs> {
  const { B, L } = b;
  const re = <T extends Float32Array | Int32Array>(src: T, w = 1): T => {
    const out = new (src.constructor as new (n: number) => T)(B * L2 * w);
    for (let r = 0; r < B; r++) out.set(src.subarray(r * L * w, (r + 1) * L * w), r * L2 * w);
    return out;
  };
  return { ...b, L: L2, inputs: { obs: re(b.inputs.obs, D), B, L: L2 }, actions: re(b.actions), mask: re(b.mask), behaviourLogp: re(b.behaviourLogp) };
}

test.run();
