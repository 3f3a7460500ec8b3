import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend, TokenPolicy, validateTokenPolicyConfig, makeRng, chooseAction, validateSamplingOptions, decodePolicy, encodePolicy } from '../../agents/index.ts';

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
});

/** A small policy with large random weights, so agreement checks compare non-trivial numbers. */
function makePolicy(seed = 1, extra: Record<string, number> = {}) {
  return new TokenPolicy({ vocabSize: 12, layers: 2, width: 16, heads: 4, context: 24, initStd: 0.4, seed, ...extra });
}

test('config: defaults match the shared tokenizer; bad values are named', () => {
  const c = validateTokenPolicyConfig();
  assert.is(c.vocabSize, 100);
  assert.is(c.padId, 0);
  assert.throws(() => validateTokenPolicyConfig({ heads: 5 }), /'policy\.heads' must divide 'policy\.width' \(64\), got 5/);
  assert.throws(() => validateTokenPolicyConfig({ widht: 3 } as never), /unknown config key 'policy\.widht' \(did you mean 'policy\.width'\?\)/);
  assert.throws(() => validateTokenPolicyConfig({ padId: 100 }), /'policy\.padId' must be < 'policy\.vocabSize' \(100\), got 100/);
  assert.throws(() => validateTokenPolicyConfig({ layers: 0 }), /'policy\.layers' must be an integer >= 1 and <= 64, got 0/);
});

test('evaluate: shapes, and a left-padded prompt scores like the unpadded one', () => {
  const p = makePolicy();
  const a = p.evaluate({ tokens: Int32Array.from([3, 4, 5, 6, 7]), B: 1, T: 5, promptLength: 2 });
  const b = p.evaluate({ tokens: Int32Array.from([0, 0, 3, 4, 5, 6, 7, 5, 7, 8, 9, 10, 11, 1]), B: 2, T: 7, promptLength: 4 });
  assert.equal(a.logits.shape, [1, 3, 12]);
  assert.equal(b.logits.shape, [2, 3, 12]);
  assert.equal(b.hidden.shape, [2, 3, 16]);
  const la = a.logits.dataSync(), lb = b.logits.dataSync();
  for (let i = 0; i < la.length; i++) assert.ok(Math.abs(la[i]! - lb[i]!) < 1e-4, `logit ${i}: ${la[i]} vs ${lb[i]}`);
  assert.throws(() => p.evaluate({ tokens: new Int32Array(4), B: 1, T: 4, promptLength: 0 }), /promptLength=0/);
  assert.throws(() => p.evaluate({ tokens: Int32Array.from([1, 99]), B: 1, T: 2, promptLength: 1 }), /token id 99 at \[0, 1\]/);
  tf.dispose([a.logits, a.hidden, b.logits, b.hidden]);
  p.dispose();
});

test('KV-cache sampler agrees with teacher-forced scoring (tokens, log-probs, hidden states)', () => {
  const p = makePolicy(2);
  const N = 3;
  const s = p.sampler(N, { seed: 5 });
  const prompts = [[1, 4, 5], [1, 6], [1, 7, 8, 9, 10]];
  prompts.forEach((pr, r) => s.reset(r, pr));
  const record: Array<Array<{ pos: number; tok: number; lp: number; h: Float32Array }>> = [[], [], []];
  for (let step = 0; step < 8; step++) {
    const out = s.sample();
    for (let r = 0; r < N; r++) {
      const len = s.context(r).length; // includes the sampled token
      record[r]!.push({ pos: len - 1, tok: out.tokens[r]!, lp: out.modelLogp[r]!, h: out.hidden.slice(r * 16, r * 16 + 16) });
      assert.ok(Math.abs(out.logp[r]! - out.modelLogp[r]!) < 1e-6, 'temperature 1, no truncation: same distribution');
    }
    if (step === 3) s.feed(1, [11, 3]); // an env-inserted tool result
  }
  // Teacher-force the final contexts: prompt = first token of each row, left-padded, continuation right-padded.
  const ctx = [0, 1, 2].map((r) => s.context(r));
  const T = 1 + Math.max(...ctx.map((c) => c.length - 1));
  const tokens = new Int32Array(N * T);
  ctx.forEach((c, r) => tokens.set(c, r * T));
  const { logp, hidden, L } = p.score({ tokens, B: N, T, promptLength: 1 });
  for (let r = 0; r < N; r++) {
    for (const rec of record[r]!) {
      const t = rec.pos - 1;
      assert.is(ctx[r]![rec.pos], rec.tok);
      assert.ok(Math.abs(logp[r * L + t]! - rec.lp) < 1e-4, `row ${r} pos ${rec.pos}: ${logp[r * L + t]} vs ${rec.lp}`);
      for (let j = 0; j < 16; j++) assert.ok(Math.abs(hidden[(r * L + t) * 16 + j]! - rec.h[j]!) < 1e-3);
    }
  }
  p.dispose();
});

test('sampler: seeded reproducibility, greedy == top-k 1, inactive rows, clear errors', () => {
  const p = makePolicy(3);
  const run = (opts: object) => {
    const s = p.sampler(2, opts);
    s.reset(0, [1, 2]); s.reset(1, [1, 5, 6]);
    const toks: number[] = [];
    for (let i = 0; i < 6; i++) toks.push(...s.sample().tokens);
    return toks;
  };
  assert.equal(run({ seed: 9 }), run({ seed: 9 }));
  assert.equal(run({ greedy: true }), run({ topK: 1, seed: 4 }));
  assert.equal(run({ greedy: true }), run({ topP: 1e-6, seed: 4 }));
  const s = p.sampler(3, { seed: 1 });
  s.reset(1, [1]);
  const out = s.sample();
  assert.equal(out.rows, [1]);
  assert.is(out.tokens[0], -1);
  assert.throws(() => s.feed(0, [1]), /row 0 is not active/);
  assert.throws(() => s.reset(5, [1]), /row 5 is outside \[0, 3\)/);
  assert.throws(() => s.reset(0, [12]), /token id 12 is outside the vocabulary/);
  assert.throws(() => s.feed(1, new Array(30).fill(4)), /more than context=24/);
  assert.throws(() => p.sampler(1, { temperature: 0 }), /'sampling\.temperature' must be a number > 0, got 0/);
  p.dispose();
});

test('chooseAction: temperature, top-k and top-p follow their definitions', () => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const freq = (opts: object, n = 20000) => {
    const rng = makeRng(7);
    const o = validateSamplingOptions(opts);
    const f = [0, 0, 0, 0];
    let lp0 = 0;
    for (let i = 0; i < n; i++) { const c = chooseAction(logits, 0, 4, o, rng); f[c.action]!++; if (c.action === 0) lp0 = c.logp; }
    return { f: f.map((x) => x / n), lp0 };
  };
  const k2 = freq({ topK: 2 });
  assert.ok(Math.abs(k2.f[0]! - 0.625) < 0.02 && k2.f[2] === 0 && k2.f[3] === 0, `${k2.f}`);
  assert.ok(Math.abs(k2.lp0 - Math.log(0.625)) < 1e-6);
  const p9 = freq({ topP: 0.9 }); // {0.5, 0.3, 0.15} reaches 0.95 ≥ 0.9
  assert.ok(p9.f[3] === 0 && Math.abs(p9.f[2]! - 0.15 / 0.95) < 0.02, `${p9.f}`);
  const t2 = freq({ temperature: 2 }); // p ∝ sqrt(p)
  const z = [0.5, 0.3, 0.15, 0.05].reduce((s, x) => s + Math.sqrt(x), 0);
  assert.ok(Math.abs(t2.f[3]! - Math.sqrt(0.05) / z) < 0.02, `${t2.f}`);
  assert.throws(() => validateSamplingOptions({ topP: 0 }), /'sampling\.topP' must be a number > 0 and <= 1, got 0/);
  assert.throws(() => validateSamplingOptions({ topk: 3 } as never), /unknown config key 'sampling\.topk' \(did you mean 'sampling\.topK'\?\)/);
});

test('checkpoint bytes rebuild an identical token policy', () => {
  const p = makePolicy(4);
  const q = decodePolicy(encodePolicy(p)) as TokenPolicy;
  const inp = { tokens: Int32Array.from([1, 4, 5, 6]), B: 1, T: 4, promptLength: 1 };
  assert.equal(Array.from(q.score(inp).logp), Array.from(p.score(inp).logp));
  p.dispose(); q.dispose();
});

test('no tensor leak over many sampling and training steps', () => {
  const p = makePolicy(5);
  const opt = tf.train.adam(1e-3);
  const tokens = Int32Array.from({ length: 4 * 10 }, (_, i) => (i * 7) % 12);
  const s = p.sampler(4, { seed: 2 });
  const step = (i: number) => {
    if (i % 5 === 0) for (let r = 0; r < 4; r++) s.reset(r, [1, 2 + r]);
    s.sample();
    const loss = opt.minimize(() => tf.tidy(() => tf.logSoftmax(p.evaluate({ tokens, B: 4, T: 10, promptLength: 3 }).logits).mean().neg() as tf.Scalar), true, p.trainableVariables)!;
    loss.dispose();
    p.score({ tokens, B: 4, T: 10, promptLength: 3 });
  };
  step(0);
  const n0 = tf.memory().numTensors;
  for (let i = 1; i < 40; i++) step(i);
  assert.is(tf.memory().numTensors, n0);
  opt.dispose();
  p.dispose();
});

test.run();
