import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend, GamePolicy, TokenPolicy, createPolicy, validateGamePolicyConfig, validateTokenPolicyConfig, makeRng, decodePolicy, encodePolicy, gamePolicyParameterCount, tokenPolicyParameterCount, MAX_POLICY_PARAMETERS } from '../../agents/index.ts';
import type { GamePolicyConfig } from '../../agents/index.ts';

const OBS: [number, number, number] = [3, 5, 5];
const OBS_DIM = 75;

function randomObs(n: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n * OBS_DIM }, () => (rng() < 0.3 ? 1 : 0));
}

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  assert.is(await initBackend(), 'wasm');
});

test('config: defaults, unknown keys and bad values are named', () => {
  const c = validateGamePolicyConfig({ obsShape: OBS, numActions: 4 });
  assert.equal(c.hidden, [64, 64]);
  assert.is(c.arch, 'mlp');
  assert.throws(() => validateGamePolicyConfig({ obsShape: OBS, numActions: 4, hiden: [3] } as never), /unknown config key 'policy\.hiden' \(did you mean 'policy\.hidden'\?\)/);
  assert.throws(() => validateGamePolicyConfig({ obsShape: OBS, numActions: 1 }), /'policy\.numActions' must be an integer >= 2, got 1/);
  assert.throws(() => validateGamePolicyConfig({ obsShape: [75], numActions: 4, arch: 'conv' }), /'policy\.obsShape' must be \[C, H, W\]/);
  assert.throws(() => validateGamePolicyConfig({ obsShape: OBS, numActions: 4, activation: 'gelu' as never }), /'policy\.activation' must be one of 'tanh', 'relu', got "gelu"/);
});

test('config: the parameter count is computed from the architecture and capped before allocation', () => {
  const size = (w: Record<string, { data: Float32Array }>) => Object.values(w).reduce((n, t) => n + t.data.length, 0);
  for (const cfg of [{ obsShape: OBS, numActions: 4 }, { obsShape: OBS, numActions: 5, arch: 'conv' as const, convChannels: [4, 6], hidden: [16] }]) {
    const p = new GamePolicy(cfg);
    assert.is(gamePolicyParameterCount(p.config), size(p.getWeights()));
    p.dispose();
  }
  const t = new TokenPolicy({ vocabSize: 12, width: 16, heads: 2, layers: 2, context: 24 });
  assert.is(tokenPolicyParameterCount(t.config), size(t.getWeights()));
  t.dispose();
  assert.throws(() => validateGamePolicyConfig({ obsShape: OBS, numActions: 4, hidden: [100000, 100000] }),
    (e: Error) => e.name === 'ConfigError' && /'policy\.hidden' \[100000,100000\] makes a game policy of 10,\d{3},\d{3},\d{3} parameters .*limit is 50,000,000/.test(e.message));
  assert.throws(() => validateTokenPolicyConfig({ width: 8192, layers: 64, heads: 4 }), /'policy\.width' 8192.* parameters; the limit is 50,000,000/);
  assert.is(MAX_POLICY_PARAMETERS, 50_000_000);
});

const variants: Array<[string, Partial<GamePolicyConfig>]> = [
  ['mlp', { arch: 'mlp', hidden: [32, 16] }],
  ['conv', { arch: 'conv', convChannels: [4, 6], hidden: [16] }],
  ['mlp relu', { arch: 'mlp', hidden: [8], activation: 'relu' }],
];

for (const [name, cfg] of variants) {
  test(`${name}: evaluate shapes, act (js and tfjs) agree with evaluate`, () => {
    const p = new GamePolicy({ obsShape: OBS, numActions: 5, seed: 3, ...cfg });
    // Larger init than the 0.01 head so the check compares non-trivial logits.
    const w = p.getWeights();
    const rng = makeRng(9);
    for (const t of Object.values(w)) for (let i = 0; i < t.data.length; i++) t.data[i] = (rng() - 0.5) * 0.6;
    p.setWeights(w);
    const B = 2, L = 3;
    const obs = randomObs(B * L, 1);
    const out = p.evaluate({ obs, B, L });
    assert.equal(out.logits.shape, [B, L, 5]);
    assert.equal(out.hidden.shape, [B, L, p.hiddenSize]);
    const logits = out.logits.dataSync();
    const hidden = out.hidden.dataSync();
    const js = p.forwardJs(obs, B * L);
    const tfo = p.forwardTf(obs, B * L);
    for (let i = 0; i < logits.length; i++) {
      assert.ok(Math.abs(js.logits[i]! - logits[i]!) < 1e-4, `js logit ${i}: ${js.logits[i]} vs ${logits[i]}`);
      assert.ok(Math.abs(tfo.logits[i]! - logits[i]!) < 1e-5);
    }
    for (let i = 0; i < hidden.length; i++) assert.ok(Math.abs(js.hidden[i]! - hidden[i]!) < 1e-4);
    // act: greedy picks the argmax; logp is the log-softmax of the chosen action.
    const a = p.act(obs, B * L, { greedy: true });
    for (let n = 0; n < B * L; n++) {
      const row = Array.from(logits.slice(n * 5, n * 5 + 5));
      const max = Math.max(...row);
      assert.is(a.actions[n], row.indexOf(max));
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      assert.ok(Math.abs(a.logp[n]! - (max - lse)) < 1e-4);
    }
    tf.dispose([out.logits, out.hidden]);
    p.dispose();
  });
}

test('act: sampling follows the policy distribution and is reproducible with a seeded rng', () => {
  const p = new GamePolicy({ obsShape: OBS, numActions: 3, hidden: [8] });
  const w = p.getWeights();
  w['head.weight']!.data.fill(0);
  w['head.bias']!.data.set([0, Math.log(2), Math.log(5)]); // probs 1/8, 2/8, 5/8
  p.setWeights(w);
  const N = 4000;
  const obs = randomObs(N, 2);
  const r1 = p.act(obs, N, { rng: makeRng(42) });
  const r2 = p.act(obs, N, { rng: makeRng(42) });
  assert.equal(Array.from(r1.actions), Array.from(r2.actions));
  const freq = [0, 0, 0];
  for (const a of r1.actions) freq[a]!++;
  assert.ok(Math.abs(freq[2]! / N - 5 / 8) < 0.03, `freq ${freq}`);
  assert.ok(Math.abs(freq[0]! / N - 1 / 8) < 0.03, `freq ${freq}`);
  assert.ok(Math.abs(r1.logp[r1.actions.indexOf(2)]! - Math.log(5 / 8)) < 1e-5);
  p.dispose();
});

test('act: temperature samples from softmax(logits / T) and returns its log-probs; T = 1 is unchanged', () => {
  const p = new GamePolicy({ obsShape: OBS, numActions: 3, hidden: [8] });
  const w = p.getWeights();
  w['head.weight']!.data.fill(0);
  w['head.bias']!.data.set([0, Math.log(2), Math.log(5)]); // T = 0.5: ∝ 1, 4, 25
  p.setWeights(w);
  const N = 4000;
  const obs = randomObs(N, 3);
  const r = p.act(obs, N, { temperature: 0.5, rng: makeRng(7) });
  const freq = [0, 0, 0];
  for (const a of r.actions) freq[a]!++;
  assert.ok(Math.abs(freq[2]! / N - 25 / 30) < 0.03, `freq ${freq}`);
  assert.ok(Math.abs(freq[0]! / N - 1 / 30) < 0.02, `freq ${freq}`);
  for (const [a, pa] of [[0, 1 / 30], [1, 4 / 30], [2, 25 / 30]] as const) {
    assert.ok(Math.abs(r.logp[r.actions.indexOf(a)]! - Math.log(pa)) < 1e-5, `logp of action ${a}`);
  }
  const plain = p.act(obs, N, { rng: makeRng(7) }), one = p.act(obs, N, { temperature: 1, rng: makeRng(7) });
  assert.equal(Array.from(one.actions), Array.from(plain.actions));
  assert.equal(Array.from(one.logp), Array.from(plain.logp));
  assert.throws(() => p.act(obs, N, { temperature: 0 }), /temperature/);
  p.dispose();
});

test('act sees weights changed by an optimiser step (the JS mirror refreshes)', () => {
  const p = new GamePolicy({ obsShape: OBS, numActions: 4, hidden: [8] });
  const obs = randomObs(2, 5);
  const before = p.forwardJs(obs, 2).logits.slice();
  const opt = tf.train.adam(0.05);
  opt.minimize(() => tf.tidy(() => p.evaluate({ obs, B: 1, L: 2 }).logits.sum().neg() as tf.Scalar), false, p.trainableVariables);
  const after = p.forwardJs(obs, 2).logits;
  const viaTf = p.forwardTf(obs, 2).logits;
  assert.not.equal(Array.from(before), Array.from(after));
  for (let i = 0; i < after.length; i++) assert.ok(Math.abs(after[i]! - viaTf[i]!) < 1e-4);
  opt.dispose();
  p.dispose();
});

test('weights round-trip through bytes rebuild the same policy; wrong shapes are named', () => {
  const p = createPolicy({ kind: 'game', obsShape: OBS, numActions: 4, arch: 'conv', convChannels: [2], hidden: [8], seed: 7 });
  const q = decodePolicy(encodePolicy(p)) as GamePolicy;
  const obs = randomObs(3, 8);
  assert.equal(Array.from(q.forwardJs(obs, 3).logits), Array.from(p.forwardJs(obs, 3).logits));
  assert.equal(q.config, p.config);
  const w = p.getWeights();
  w['fc0.weight'] = { shape: [3, 3], data: new Float32Array(9) };
  assert.throws(() => q.setWeights(w), /'fc0.weight' has shape \[3,3\]/);
  const missing = p.getWeights();
  delete missing['head.bias'];
  assert.throws(() => q.setWeights(missing), /missing tensor 'head.bias'/);
  p.dispose();
  q.dispose();
});

test('no tensor leak over many act / evaluate / training steps', () => {
  const p = new GamePolicy({ obsShape: OBS, numActions: 4, arch: 'conv', convChannels: [4], hidden: [16], actImpl: 'tfjs' });
  const opt = tf.train.adam(1e-3);
  const obs = randomObs(8, 11);
  const step = () => {
    p.act(obs, 8);
    const { value } = tf.tidy(() => ({ value: opt.minimize(() => {
      const o = p.evaluate({ obs, B: 2, L: 4 });
      return tf.logSoftmax(o.logits).mean().neg() as tf.Scalar;
    }, true, p.trainableVariables)! }));
    value.dispose();
    p.setWeights(p.getWeights());
  };
  step();
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) step();
  assert.is(tf.memory().numTensors, n0);
  opt.dispose();
  p.dispose();
});

test.run();
