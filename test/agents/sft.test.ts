import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { makeEnvSync, defaultTokenizer, Discrete, TokenSequence, type TokenEnv, type StepResult } from '../../envs/index.ts';
import { initBackend, TokenPolicy, SftTrainer, collectDemonstrations, exampleFromSegments, packExamples, evaluateTokenPolicy, validateSftConfig, continuationLogProbs } from '../../agents/index.ts';

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
});

const tok = defaultTokenizer;

test('demonstrations: text envs end with eos; tool results are context (mask 0), not targets', () => {
  const [add] = collectDemonstrations(makeEnvSync<TokenEnv>('Addition-v0'), 1, 3);
  assert.is(add!.prompt[0], tok.bos);
  assert.match(tok.decode(add!.prompt), /^\d+\+\d+=$/);
  assert.is(add!.continuation[add!.continuation.length - 1], tok.eos);
  assert.ok(add!.mask.every((m) => m === 1));
  const [tool] = collectDemonstrations(makeEnvSync<TokenEnv>('ToolCalc-v0'), 1, 3);
  const text = tok.decode(tool!.continuation);
  const policyText = tok.decode(tool!.continuation.filter((_, i) => tool!.mask[i] === 1));
  const envText = tok.decode(tool!.continuation.filter((_, i) => tool!.mask[i] === 0));
  assert.match(text, /^<call>calc\(.+\)<\/call><result>.+<\/result><answer>.+<\/answer>$/);
  assert.match(envText, /^<result>.+<\/result>$/);
  assert.not.match(policyText, /result/);
  assert.throws(() => exampleFromSegments([1], [{ role: 'env', text: 'x' }], { eos: false }), /no policy tokens/);
  assert.throws(() => exampleFromSegments([1], [{ role: 'user' as never, text: 'x' }]), /role "user"/);
});

test('demonstrations with answerWeights: the mix of correct answers follows the weights (EitherSort-v0)', () => {
  const env = makeEnvSync<TokenEnv>('EitherSort-v0');
  const demos = collectDemonstrations(env, 400, 7, { answerWeights: [0.8, 0.2] });
  let up = 0;
  demos.forEach((d) => {
    const digits = tok.decode(d.prompt).slice(3, -1);
    const ans = tok.decode(d.continuation);
    const asc = [...digits].sort().join('');
    assert.ok(ans === asc || ans === [...asc].reverse().join(''), ans);
    if (ans === asc) up++;
  });
  assert.ok(up / 400 > 0.74 && up / 400 < 0.86, `ascending share ${up / 400}`);
  assert.equal(collectDemonstrations(env, 5, 7, { answerWeights: [0.8, 0.2] }).map((d) => tok.decode(d.continuation)), demos.slice(0, 5).map((d) => tok.decode(d.continuation)), 'seeded');
  assert.throws(() => collectDemonstrations(env, 1, 0, { answerWeights: [1, 1, 1] }), /lists 2 correct answers, answerWeights has 3/);
  assert.throws(() => collectDemonstrations(makeEnvSync<TokenEnv>('Countdown-v0'), 1, 0, { answerWeights: [1] }), /lists no correct answers/);
});

test('continuationLogProbs: teacher forcing, chain rule log p(ab|x) = log p(a|x) + log p(b|xa), padding-independent, normalised', () => {
  const policy = new TokenPolicy({ layers: 1, width: 16, heads: 2, context: 16, seed: 5 });
  const x = tok.encode('12+3=', { bos: true });
  const ex = (prompt: Int32Array, text: string) => ({ prompt, continuation: tok.encode(text), mask: new Uint8Array(text.length).fill(1) });
  const [ab, a, longPrompt] = continuationLogProbs(policy, [ex(x, '15'), ex(x, '1'), ex(tok.encode('9+99+1=', { bos: true }), '7')]);
  const [bGivenA] = continuationLogProbs(policy, [ex(Int32Array.from([...x, tok.charId('1')]), '5')]);
  assert.ok(Math.abs(ab! - (a! + bGivenA!)) < 1e-4, `${ab} vs ${a! + bGivenA!}`);
  const [alone] = continuationLogProbs(policy, [ex(x, '15')]);
  assert.ok(Math.abs(alone! - ab!) < 1e-4, 'same value whatever else is in the chunk (padding)');
  assert.ok(Number.isFinite(longPrompt!));
  const all = continuationLogProbs(policy, Array.from({ length: tok.vocabSize }, (_, v) => ({ prompt: x, continuation: Int32Array.of(v), mask: Uint8Array.of(1) })), { chunk: 37 });
  assert.ok(Math.abs(all.reduce((s, l) => s + Math.exp(l), 0) - 1) < 1e-4, 'single-token probabilities sum to 1');
  const hot = continuationLogProbs(policy, [ex(x, '15')], { temperature: 0.5 })[0]!;
  assert.ok(Math.abs(hot - ab!) > 1e-3, 'temperature changes it');
  policy.dispose();
});

test('packExamples: prompts left-padded, continuations right-padded, masks aligned', () => {
  const a = exampleFromSegments([1, 10, 11], [{ role: 'policy', text: 'a' }], { eos: false });
  const b = exampleFromSegments([1], [{ role: 'policy', text: 'b' }, { role: 'env', text: 'c' }], { eos: true });
  const p = packExamples([a, b]);
  assert.equal([p.B, p.promptLength, p.L, p.T], [2, 3, 3, 6]);
  assert.equal(Array.from(p.tokens), [1, 10, 11, tok.charId('a'), 0, 0, 0, 0, 1, tok.charId('b'), tok.charId('c'), tok.eos]);
  assert.equal(Array.from(p.mask), [1, 0, 0, 1, 0, 1]);
});

test('SFT lowers the loss and teaches a tiny policy its demonstrations', () => {
  const policy = new TokenPolicy({ layers: 1, width: 32, heads: 2, context: 16, seed: 1 });
  const examples = ['ab', 'ba', 'cc', 'ca'].map((s) => exampleFromSegments([1, tok.charId(s[0]!)], [{ role: 'policy', text: s }], { eos: true }));
  const trainer = new SftTrainer(policy, examples, { steps: 80, batchSize: 8, learningRate: 1e-2, seed: 2 });
  const first = trainer.step();
  const n0 = tf.memory().numTensors;
  const last = trainer.train()!;
  assert.is(tf.memory().numTensors, n0, 'no tensor leak across SFT steps');
  assert.ok(last.loss < first.loss * 0.3, `loss ${first.loss} → ${last.loss}`);
  assert.ok(last.tokenAccuracy > 0.7, `token accuracy ${last.tokenAccuracy}`);
  trainer.dispose();
  policy.dispose();
  assert.throws(() => validateSftConfig({ lr: 1 } as never), /unknown config key 'sft\.lr'/);
  assert.throws(() => validateSftConfig({ batchSize: 0 }), /'sft\.batchSize' must be an integer >= 1, got 0/);
});

/** A toy env: after each policy token the env inserts two tokens; success = first policy token is 'x'. */
class InsertEnv implements TokenEnv {
  readonly observationSpace = new TokenSequence(tok.vocabSize, 32, 1);
  readonly actionSpace = new Discrete(tok.vocabSize);
  readonly spec = { id: 'Insert-test', family: 'tools' as const, maxEpisodeSteps: 3, options: {} };
  private ctx: number[] = [];
  private steps = 0;
  private first = -1;
  reset() { this.ctx = [tok.bos, tok.charId('q')]; this.steps = 0; this.first = -1; return { obs: Int32Array.from(this.ctx), info: { message: '' } }; }
  step(a: number): StepResult<Int32Array> {
    if (this.steps === 0) this.first = a;
    this.ctx.push(a, tok.charId('r'), tok.charId('s'));
    const done = ++this.steps === 3;
    const success = this.first === tok.charId('x');
    return { obs: Int32Array.from(this.ctx), reward: done && success ? 1 : 0, terminated: done, truncated: false, info: { message: done ? `ctx ${tok.decode(this.ctx)}` : '', success: done && success } };
  }
  demonstrate() { return [{ role: 'policy' as const, text: 'x' }]; }
  close() {}
}

test('evaluateTokenPolicy: rolls N envs through one sampler, feeding env-inserted tokens', () => {
  const policy = new TokenPolicy({ layers: 1, width: 16, heads: 2, context: 16, seed: 3 });
  const setHead = (id: number) => {
    const w = policy.getWeights();
    // Make every hidden state prefer token `id`: a large head column on the (non-zero) LayerNorm bias direction.
    w['ln_f.g']!.data.fill(0); w['ln_f.b']!.data.fill(1);
    w['head.w']!.data.fill(0);
    for (let j = 0; j < 16; j++) w['head.w']!.data[j * tok.vocabSize + id] = 1;
    policy.setWeights(w);
  };
  setHead(tok.charId('x'));
  const envs = [new InsertEnv(), new InsertEnv(), new InsertEnv()];
  const good = evaluateTokenPolicy(policy, envs, { episodes: 7 });
  assert.equal([good.episodes, good.successes], [7, 7]);
  assert.match(good.samples[0]!.message, /^ctx qxrsxrsxrs$/);
  setHead(tok.charId('y'));
  const bad = evaluateTokenPolicy(policy, envs, { episodes: 4 });
  assert.equal([bad.episodes, bad.successes, bad.successRate], [4, 0, 0]);
  policy.dispose();
});

test.run();
