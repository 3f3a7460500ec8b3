/**
 * What THR means, checked directly: under the unconstrained-features view (only the unembedding W trained,
 * hidden states fixed), a small ascent step η on token t's own objective c_t·Â_t·log π_T(y_t) changes the
 * summed log-likelihood log π_T of the group's correct tokens by η·THR_t to first order. The learner's THR
 * (tf forward, float32) is compared with that change measured in float64 on the fixture policy's twin — at
 * T = 1 and at T = 0.7, where the match needs THR's 1/T² factor (∇_W log π_T = (1/T)·(e_y − π_T) hᵀ).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GrpoLearner } from '../../agents/learner/index.ts';
import { useWasm, TinyPolicy, forward64, randomBatch } from './learner-fixture.ts';

await useWasm();

const D = 3, d = 5, V = 4;

/** log_softmax(logp / T) per row: the tempered log-probabilities from untempered ones. */
const temper = (logp: Float64Array, T: number) => {
  const z = logp.map((x) => x / T);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
};

for (const [lossType, T] of [['grpo', 1], ['dapo', 1], ['dapo', 0.7]] as const) {
  test(`THR_t = first-order change of the correct responses' log-likelihood from a step on token t (${lossType}, T = ${T})`, () => {
    const policy = new TinyPolicy(D, d, V, 21, 1.2);
    const batch = randomBatch(31, { groups: 2, G: 4, L: 4, D, V, binary: true });
    batch.correct = Uint8Array.of(1, 0, 1, 0, 0, 1, 0, 0);
    const learner = new GrpoLearner(policy, { lossType, temperature: T, thr: { p: 0 } });
    const { thr, advantages } = learner.inspect(batch);
    assert.ok(thr, 'THR computed');
    const { B, L } = batch, N = B * L;
    const params = policy.params();
    const [, , W2] = params;
    const base = forward64(params, D, d, V, batch.inputs.obs, N);
    // c_t of the aggregation: recomputed here from the loss-type table, independently of the learner.
    const len = (b: number) => Array.from({ length: L }, (_, t) => batch.mask[b * L + t]).reduce((a, x) => a + x, 0);
    const tokens = Array.from(batch.mask).reduce((a, x) => a + x, 0);
    const coef = (k: number) => (lossType === 'grpo' ? 1 / (B * len(Math.floor(k / L))) : 1 / tokens);
    const correctLL = (w2: Float64Array, group: number) => {
      const f = forward64([params[0], params[1], w2, params[3]], D, d, V, batch.inputs.obs, N);
      let s = 0;
      for (let k = 0; k < N; k++) {
        const b = Math.floor(k / L);
        if (batch.mask[k] && batch.correct![b] && batch.groups[b] === group) s += temper(f.logp[k], T)[batch.actions[k]];
      }
      return s;
    };
    const eta = 1e-4;
    const scale = Math.max(...thr!.map(Math.abs));
    let pos = 0, neg = 0;
    for (let t = 0; t < N; t++) {
      if (!batch.mask[t] || advantages[t] === 0) continue;
      const group = batch.groups[Math.floor(t / L)];
      // ∇_{W2} of c·Â·log π_T(y_t) is (c·Â/T)·h_t (e_y − π_T,t)ᵀ, W2 being [d, V]; a step of ±η along it.
      const step = (sign: number) => {
        const w = Float64Array.from(W2);
        const h = base.hidden[t], p = temper(base.logp[t], T).map(Math.exp), y = batch.actions[t];
        for (let j = 0; j < d; j++) for (let v = 0; v < V; v++) w[j * V + v] += sign * eta * (coef(t) * advantages[t] / T) * h[j] * ((v === y ? 1 : 0) - p[v]);
        return correctLL(w, group);
      };
      const change = (step(1) - step(-1)) / (2 * eta);
      assert.ok(Math.abs(change - thr![t]) <= 1e-3 * scale, `token ${t}: likelihood change ${change} vs THR ${thr![t]}`);
      if (thr![t] > 0) pos++; else if (thr![t] < 0) neg++;
    }
    assert.ok(pos > 0 && neg > 0, `both signs occur (${pos} positive, ${neg} negative)`);
    learner.dispose(); policy.dispose();
  });
}

test.run();
