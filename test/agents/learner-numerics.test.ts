/**
 * Numerics of the speed work: loss, every gradient and the weights after one GRPO + THR update of the
 * token transformer and the game networks (fixed seeds, ./numerics-cases.ts) against a stored reference
 * computed BEFORE the speed changes (fixtures/learner-numerics.json: pre-change code, cpu backend).
 * Both backends must reproduce it: cpu (tfjs' reference kernels: checks the graph rewrites — fused
 * bias, batched attention heads, the optimiser) and wasm with the fast matMul path (also checks the
 * kernel wrappers). Agreement is measured per tensor as ‖x − ref‖ / ‖ref‖.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../agents/index.ts';
import { fromBase64, measure, numericsCases } from './numerics-cases.ts';

process.env.THRIVE_BACKEND_QUIET = '1';
const ref = JSON.parse(readFileSync(new URL('./fixtures/learner-numerics.json', import.meta.url), 'utf8'));
const TOL = 1e-6;

function relErr(x: Float32Array, r: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < r.length; i++) { d += (x[i]! - r[i]!) ** 2; n += r[i]! ** 2; }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

for (const backend of ['cpu', 'wasm']) {
  test(`loss, gradients and one update match the pre-change reference on ${backend} (‖Δ‖/‖ref‖ ≤ ${TOL})`, async () => {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    for (const c of numericsCases()) {
      const want = ref[c.name];
      const got = measure(c);
      const names = c.policy.trainableVariables.map((v) => v.name.split('/')[1]);
      assert.ok(Math.abs(got.loss - want.loss) <= TOL * Math.max(1e-3, Math.abs(want.loss)), `${c.name}: loss ${got.loss} vs ${want.loss}`);
      let worst = 0;
      got.grads.forEach((g, i) => {
        const e = relErr(g, fromBase64(want.grads[i]));
        worst = Math.max(worst, e);
        assert.ok(e <= TOL, `${c.name} on ${backend}: gradient of ${names[i]} differs by ${e.toExponential(2)} (relative)`);
      });
      got.after.forEach((w, i) => {
        // Adam scales each entry by its own gradient, so an entry whose gradient is rounding noise (a
        // mathematically zero one, e.g. the key bias: softmax ignores a constant shift) takes an arbitrary
        // ±lr step; those entries are left out of the after-update comparison.
        const g = fromBase64(want.grads[i]);
        const gMax = g.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const keep = (_: number, j: number) => Math.abs(g[j]!) > 1e-4 * gMax;
        const e = relErr(w.filter(keep), fromBase64(want.after[i]).filter(keep));
        assert.ok(e <= TOL, `${c.name} on ${backend}: weights of ${names[i]} after one update differ by ${e.toExponential(2)} (relative)`);
      });
      if (process.env.NUMERICS_VERBOSE) console.log(`${backend} ${c.name}: worst gradient error ${worst.toExponential(2)}`);
      c.learner.dispose();
      c.policy.dispose();
    }
    assert.is(tf.memory().numTensors, before, 'every tensor is disposed');
  });
}

test.run();
