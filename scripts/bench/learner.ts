/**
 * `npm run bench -- learner [--reps N]`: GrpoLearner update time with THR off and on, on the project's real
 * policies (agents/policies: the game MLP and the token transformer), wasm backend.
 *
 * For each model: one update = one forward + backward + AdamW step over the whole batch (numIterations 1,
 * one minibatch). THR off = `thr.enabled: false` (no probability/hidden download, no THR); THR on =
 * `thr: { p: 0.5 }`. Runs alternate off/on so machine noise hits both alike; the figure is the ratio of
 * medians. Also: THR's own cost split into download and math, and the JS THR against a tf-ops THR
 * (per-group matMuls) and the two algebraic forms (outer M = GᵀH vs Gram G Gᵀ ⊙ H Hᵀ), to justify the choice.
 */
import * as tf from '@tensorflow/tfjs';
import {
  initBackend, GamePolicy, TokenPolicy, GrpoLearner, tokenHiddenReward, aggregationCoefficients,
  groupAdvantages, tokenAdvantages, correctRollouts, chosenLogProbs, AdamW, type LearnerBatch, type TrainablePolicy, type ThrInputs,
} from '../../agents/index.ts';

const args = process.argv.slice(2);
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : 12;
if (!Number.isInteger(REPS) || REPS < 2) throw new Error(`--reps must be an integer ≥ 2, got ${args[repsArg + 1]}`);

process.env.THRIVE_BACKEND_QUIET = '1';
const backend = await initBackend('wasm');

function mulberry(seed: number) {
  let s = seed >>> 0;
  return () => { let t = (s = (s + 0x6d2b79f5) >>> 0); t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Fills actions (sampled from the policy), behaviour log-probs, lengths, binary rewards, groups of G. */
function completeBatch<I>(policy: TrainablePolicy<I>, inputs: I, B: number, L: number, G: number, seed: number, actionsFrom?: Int32Array): LearnerBatch<I> {
  const r = mulberry(seed);
  const { logp, actions } = tf.tidy(() => {
    const lp = tf.logSoftmax(policy.evaluate(inputs).logits, -1).reshape([B * L, policy.numActions]) as tf.Tensor2D;
    const a = actionsFrom ? tf.tensor1d(actionsFrom, 'int32') : tf.multinomial(lp, 1, seed).reshape([B * L]).toInt();
    return { actions: a.dataSync() as Int32Array, logp: lp.mul(tf.oneHot(a, policy.numActions)).sum(-1).dataSync() as Float32Array };
  });
  const mask = new Float32Array(B * L);
  for (let b = 0; b < B; b++) { const len = Math.max(1, Math.round(L * (0.5 + 0.5 * r()))); for (let t = 0; t < len; t++) mask[b * L + t] = 1; }
  return {
    inputs, B, L, actions: Int32Array.from(actions, (a, k) => (mask[k] ? a : 0)), mask,
    behaviourLogp: Float32Array.from(logp, (x, k) => (mask[k] ? x : 0)),
    rewards: Float32Array.from({ length: B }, () => (r() < 0.4 ? 1 : 0)),
    groups: Int32Array.from({ length: B }, (_, b) => Math.floor(b / G)),
  };
}

interface Case { name: string; describe: string; policy: TrainablePolicy<unknown>; batch: LearnerBatch<unknown> }

function gameCase(): Case {
  const obsShape = [3, 9, 9], G = 8, groups = 8, L = 64, B = G * groups;
  const policy = new GamePolicy({ obsShape, numActions: 7, hidden: [64, 64], seed: 1 });
  const obsDim = obsShape.reduce((a, b) => a * b, 1);
  const r = mulberry(3);
  const obs = Float32Array.from({ length: B * L * obsDim }, () => (r() < 0.1 ? 1 : 0));
  const batch = completeBatch(policy, { obs, B, L }, B, L, G, 5);
  const params = policy.trainableVariables.reduce((s, v) => s + v.size, 0);
  return { name: 'game', describe: `GamePolicy MLP obs [${obsShape}] → [64, 64] → 7 actions (${params} params); B = ${B} (${groups} groups × ${G}), L = ${L}, ${batch.mask.reduce((a, b) => a + b, 0)} real steps`, policy: policy as TrainablePolicy<unknown>, batch: batch as LearnerBatch<unknown> };
}

function tokenCase(): Case {
  const G = 8, groups = 4, B = G * groups, P = 16, L = 32, T = P + L;
  const policy = new TokenPolicy({ vocabSize: 64, width: 64, layers: 2, heads: 4, context: 64, seed: 1 });
  const r = mulberry(4);
  const tokens = Int32Array.from({ length: B * T }, () => 1 + Math.floor(r() * 63));
  const actions = new Int32Array(B * L);
  for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) actions[b * L + t] = tokens[b * T + P + t];
  const batch = completeBatch(policy, { tokens, B, T, promptLength: P }, B, L, G, 6, actions);
  const params = policy.trainableVariables.reduce((s, v) => s + v.size, 0);
  return { name: 'token', describe: `TokenPolicy transformer 2 layers, d = 64, V = 64 (${params} params); B = ${B} (${groups} groups × ${G}), prompt 16 + L = ${L}, ${batch.mask.reduce((a, b) => a + b, 0)} real tokens`, policy: policy as TrainablePolicy<unknown>, batch: batch as LearnerBatch<unknown> };
}

/** THR with tf ops (per group: M = G_Cᵀ H_C, THR = rowsum((G M) ⊙ H)), for comparison with the JS path. */
function thrWithTf(logits: tf.Tensor3D, hidden: tf.Tensor3D, batch: LearnerBatch<unknown>, correct: Uint8Array, adv: Float32Array, coef: Float32Array): Float32Array {
  const { B, L } = batch;
  const V = logits.shape[2], d = hidden.shape[2];
  const perGroup = new Map<number, { all: number[]; c: number[] }>();
  for (let b = 0; b < B; b++) {
    let e = perGroup.get(batch.groups[b]);
    if (!e) perGroup.set(batch.groups[b], (e = { all: [], c: [] }));
    for (let t = 0; t < L; t++) if (batch.mask[b * L + t]) { e.all.push(b * L + t); if (correct[b]) e.c.push(b * L + t); }
  }
  const raw = tf.tidy(() => {
    const Gm = tf.oneHot(tf.tensor1d(batch.actions, 'int32'), V).toFloat().sub(tf.softmax(logits.reshape([B * L, V])));
    const H = hidden.reshape([B * L, d]);
    const parts: tf.Tensor[] = [], index: number[] = [];
    for (const { all, c } of perGroup.values()) {
      if (!c.length) continue;
      const ci = tf.tensor1d(c, 'int32'), ai = tf.tensor1d(all, 'int32');
      const M = tf.matMul(tf.gather(Gm, ci), tf.gather(H, ci), true, false);
      parts.push(tf.matMul(tf.gather(Gm, ai), M).mul(tf.gather(H, ai)).sum(-1));
      index.push(...all);
    }
    return { values: parts.length ? tf.concat(parts) : tf.zeros([0]), index };
  });
  const vals = raw.values.dataSync();
  raw.values.dispose();
  const out = new Float32Array(B * L);
  raw.index.forEach((k, i) => (out[k] = coef[k] * adv[k] * vals[i]));
  return out;
}

const lines: string[] = [];
const result: Record<string, unknown> = { backend, reps: REPS };
for (const c of [gameCase(), tokenCase()]) {
  console.log(`\n[${c.name}] ${c.describe}`);
  const off = new GrpoLearner(c.policy, { thr: { enabled: false }, learningRate: 1e-4 });
  const on = new GrpoLearner(c.policy, { thr: { enabled: true, p: 0.5 }, learningRate: 1e-4 });
  for (let i = 0; i < 2; i++) { off.update(c.batch); on.update(c.batch); } // warm-up (kernels, optimiser slots)
  const tOff: number[] = [], tOn: number[] = [], cOff: number[] = [], cOn: number[] = [], thrMs: number[] = [], dlMs: number[] = [];
  for (let i = 0; i < REPS; i++) {
    // The same batch each time: its behaviour log-probs drift from the policy a little, which does not matter for timing.
    const first = i % 2 === 0 ? off : on;
    const second = first === off ? on : off;
    for (const l of [first, second]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = l.update(c.batch);
      const ms = performance.now() - t0;
      const cu = process.cpuUsage(c0);
      const cpuMs = (cu.user + cu.system) / 1000;
      if (r.skipped) throw new Error(`update skipped: ${r.skipped}`);
      if (l === off) { tOff.push(ms); cOff.push(cpuMs); } else { tOn.push(ms); cOn.push(cpuMs); thrMs.push(r.metrics.thrMs); dlMs.push(r.metrics.thrDownloadMs); }
    }
  }
  // Baseline: a bare policy-gradient step (forward, Σ Â·log π, backward, AdamW) with none of the learner's
  // bookkeeping, to show what the learner itself adds on top of the policy's own cost.
  const adam = new AdamW(c.policy.trainableVariables, { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const advT = tf.tensor2d(Float32Array.from(c.batch.mask, (m, k) => (m ? Math.sin(k) : 0)), [c.batch.B, c.batch.L]);
  const actT = tf.tensor2d(c.batch.actions, [c.batch.B, c.batch.L], 'int32');
  const bare = () => {
    const { value, grads } = tf.variableGrads(() => chosenLogProbs(c.policy.evaluate(c.batch.inputs).logits, actT).mul(advT).sum().neg() as tf.Scalar, c.policy.trainableVariables);
    value.dataSync();
    adam.apply(c.policy.trainableVariables.map((v) => grads[v.name]));
    tf.dispose([value, ...Object.values(grads)]);
  };
  bare();
  const cBare: number[] = [];
  for (let i = 0; i < REPS; i++) { const c0 = process.cpuUsage(); bare(); const cu = process.cpuUsage(c0); cBare.push((cu.user + cu.system) / 1000); }
  tf.dispose([advT, actT]); adam.dispose();
  const mcBare = median(cBare);

  const mOff = median(tOff), mOn = median(tOn);
  const overhead = mOn / mOff - 1;
  // CPU time of this process is far less sensitive than wall time to other jobs competing for the 2 cores.
  const mcOff = median(cOff), mcOn = median(cOn);
  const cpuOverhead = mcOn / mcOff - 1;
  const inStep = (median(thrMs) + median(dlMs)) / mOn;
  console.log(`  update, THR off: median ${mOff.toFixed(1)} ms   THR on (p = 0.5): median ${mOn.toFixed(1)} ms   → overhead ${(overhead * 100).toFixed(1)}% of the step (ratio of medians)`);
  console.log(`  CPU time, THR off: median ${mcOff.toFixed(1)} ms   THR on: median ${mcOn.toFixed(1)} ms   → overhead ${(cpuOverhead * 100).toFixed(1)}%`);
  console.log(`  bare policy-gradient step (no learner bookkeeping): CPU median ${mcBare.toFixed(1)} ms → the learner (THR off) adds ${((mcOff / mcBare - 1) * 100).toFixed(1)}%`);
  console.log(`  inside the THR-on step: download ${median(dlMs).toFixed(2)} ms + THR math ${median(thrMs).toFixed(2)} ms = ${(inStep * 100).toFixed(1)}% of the step`);

  // THR implementations compared on this batch's real probabilities and hidden states.
  const { B, L } = c.batch;
  const out = tf.tidy(() => { const o = c.policy.evaluate(c.batch.inputs); return { logits: tf.keep(o.logits), hidden: tf.keep(o.hidden) }; });
  const adv = tokenAdvantages(groupAdvantages(c.batch.rewards, c.batch.groups).advantages, c.batch.mask, L);
  const coef = aggregationCoefficients('dapo', c.batch.mask, L, Array.from({ length: B }, (_, b) => b));
  const correct = correctRollouts(c.batch.rewards, c.batch.groups, null);
  const download = () => { const p = tf.softmax(out.logits, -1); const probs = p.dataSync() as Float32Array; p.dispose(); return { probs, hidden: out.hidden.dataSync() as Float32Array }; };
  const x = (): ThrInputs => ({ B, L, V: c.policy.numActions, d: c.policy.hiddenSize, ...download(), actions: c.batch.actions, mask: c.batch.mask, groups: c.batch.groups, correct, advantages: adv, coef });
  const timeIt = (f: () => unknown) => { f(); const ts: number[] = []; for (let i = 0; i < Math.max(5, REPS); i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } return median(ts); };
  const jsAuto = timeIt(() => tokenHiddenReward(x()));
  const jsOuter = timeIt(() => tokenHiddenReward(x(), 'outer'));
  const jsGram = timeIt(() => tokenHiddenReward(x(), 'gram'));
  const tfOps = timeIt(() => thrWithTf(out.logits, out.hidden, c.batch, correct, adv, coef));
  const a = tokenHiddenReward(x()), bTf = thrWithTf(out.logits, out.hidden, c.batch, correct, adv, coef);
  let maxDiff = 0, maxAbs = 0;
  for (let k = 0; k < a.length; k++) { maxDiff = Math.max(maxDiff, Math.abs(a[k] - bTf[k])); maxAbs = Math.max(maxAbs, Math.abs(a[k])); }
  tf.dispose([out.logits, out.hidden]);
  console.log(`  THR alone incl. download: JS auto ${jsAuto.toFixed(2)} ms, JS outer ${jsOuter.toFixed(2)} ms, JS gram ${jsGram.toFixed(2)} ms, tf ops ${tfOps.toFixed(2)} ms (JS vs tf max |diff| ${(maxDiff / Math.max(maxAbs, 1e-30)).toExponential(1)} relative)`);
  result[c.name] = {
    model: c.describe, updateMsThrOff: +mOff.toFixed(2), updateMsThrOn: +mOn.toFixed(2), thrOverheadRatio: +overhead.toFixed(4),
    cpuMsBareStep: +mcBare.toFixed(2), cpuMsThrOff: +mcOff.toFixed(2), cpuMsThrOn: +mcOn.toFixed(2), thrCpuOverheadRatio: +cpuOverhead.toFixed(4),
    thrShareOfStep: +inStep.toFixed(4), thrDownloadMs: +median(dlMs).toFixed(3), thrMathMs: +median(thrMs).toFixed(3),
    thrAloneMs: { jsAuto: +jsAuto.toFixed(3), jsOuter: +jsOuter.toFixed(3), jsGram: +jsGram.toFixed(3), tfOps: +tfOps.toFixed(3) },
    targetMet: inStep <= 0.1,
  };
  lines.push(`${c.name}: THR share of the step ${(inStep * 100).toFixed(1)}% measured inside it; overhead ${(cpuOverhead * 100).toFixed(1)}% CPU time, ${(overhead * 100).toFixed(1)}% wall time (target ≤ 10%)`);
  off.dispose(); on.dispose(); c.policy.dispose();
}
console.log('\n' + lines.join('\n'));
console.log(JSON.stringify(result));
