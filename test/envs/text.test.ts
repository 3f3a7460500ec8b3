import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeEnvSync, checkEnv, defaultTokenizer as tok, chrF, sentenceBleu, type TokenEnv } from '../../envs/index.ts';

const CONFIGS: Array<[string, Record<string, unknown>]> = [
  ['Addition-v0', {}],
  ['Addition-v0', { digits: 4, operands: 3, split: 'test' }],
  ['Reverse-v0', {}],
  ['Reverse-v0', { alphabet: 'digits', minLength: 3, maxLength: 8, reward: 'chrf' }],
  ['Sort-v0', {}],
  ['Sort-v0', { alphabet: 'abc', reward: 'bleu' }],
];

for (const [id, opts] of CONFIGS) {
  test(`${id} ${JSON.stringify(opts)} passes checkEnv (incl. demonstration replay)`, () => {
    const report = checkEnv(makeEnvSync(id, opts), { makeAnother: () => makeEnvSync(id, opts) });
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
    assert.ok(report.results.some((r) => r.name === 'demonstration replays to success'));
  });
}

function play(env: TokenEnv, text: string, eos = true) {
  let last;
  for (const id of tok.encode(text)) last = env.step(id);
  return eos ? env.step(tok.eos) : last!;
}

test('Addition: correct answer earns exact = 1, a wrong one 0; context is bos + prompt + completion', () => {
  const env = makeEnvSync<TokenEnv>('Addition-v0', { digits: 3 });
  const r = env.reset({ seed: 11 });
  const prompt = r.info.prompt as string;
  assert.match(prompt, /^\d{1,3}\+\d{1,3}=$/);
  assert.is(r.obs[0], tok.bos);
  assert.is(tok.decode(r.obs), prompt);
  const [a, b] = prompt.slice(0, -1).split('+').map(Number);
  const s = play(env, String(a + b));
  assert.ok(s.terminated && !s.truncated);
  assert.is(s.reward, 1);
  assert.equal(s.info.rewardComponents, { exact: 1 });
  assert.is(s.info.success, true);
  assert.is(s.info.completion, String(a + b));
  assert.is(tok.decode(s.obs), prompt + String(a + b));
  assert.is(s.obs[s.obs.length - 1], tok.eos);
  env.reset({ seed: 11 });
  const w = play(env, String(a + b + 1));
  assert.is(w.reward, 0);
  assert.is(w.info.success, false);
  assert.match(w.info.message, /expected/);
});

test('same seed → same prompt (group sampling); truncation without eos earns 0', () => {
  const env = makeEnvSync<TokenEnv>('Reverse-v0');
  const p1 = env.reset({ seed: 5 }).info.prompt;
  const p2 = env.reset({ seed: 5 }).info.prompt;
  assert.is(p1, p2);
  const max = env.spec.maxEpisodeSteps;
  let s;
  for (let i = 0; i < max; i++) s = env.step(tok.charId('a'));
  assert.ok(s!.truncated && !s!.terminated);
  assert.is(s!.reward, 0);
  assert.throws(() => env.step(tok.charId('a')), /after the episode ended/);
});

test('Reverse and Sort answers are what they say', () => {
  const rev = makeEnvSync<TokenEnv>('Reverse-v0', { minLength: 4, maxLength: 4 });
  const p = rev.reset({ seed: 2 }).info.prompt as string;
  const input = p.slice(4, -1);
  assert.is(rev.demonstrate()[0].text, [...input].reverse().join(''));
  const sort = makeEnvSync<TokenEnv>('Sort-v0');
  const q = sort.reset({ seed: 2 }).info.prompt as string;
  assert.is(sort.demonstrate()[0].text, [...q.slice(5, -1)].sort().join(''));
});

test('train and test prompts are disjoint', () => {
  const seen = { train: new Set<string>(), test: new Set<string>() };
  for (const split of ['train', 'test'] as const) {
    const env = makeEnvSync<TokenEnv>('Addition-v0', { digits: 1, split });
    for (let seed = 0; seed < 400; seed++) seen[split].add(env.reset({ seed }).info.prompt as string);
  }
  assert.ok(seen.train.size > 50 && seen.test.size > 10, `${seen.train.size}/${seen.test.size}`);
  for (const p of seen.test) assert.not.ok(seen.train.has(p), p);
  assert.is(seen.train.size + seen.test.size, 100); // 1-digit: all 100 problems, split between the two
});

test('chrF and BLEU: 1 for identical, partial credit, 0 for disjoint', () => {
  assert.is(chrF('abcdef', 'abcdef'), 1);
  assert.is(chrF('xyz', 'abc'), 0);
  const partial = chrF('abcdxx', 'abcdef');
  assert.ok(partial > 0.3 && partial < 0.9, String(partial));
  assert.ok(Math.abs(sentenceBleu('the cat sat on the mat', 'the cat sat on the mat') - 1) < 1e-12);
  const b = sentenceBleu('the cat sat on a mat', 'the cat sat on the mat');
  assert.ok(b > 0.3 && b < 1, String(b));
  const env = makeEnvSync<TokenEnv>('Reverse-v0', { reward: 'chrf', minLength: 6, maxLength: 6 });
  env.reset({ seed: 1 });
  const ans = env.demonstrate()[0].text;
  const s = play(env, ans.slice(0, 4) + 'zz');
  assert.is(s.info.rewardComponents!.exact, 0);
  assert.ok(s.reward > 0 && s.reward < 1 && s.reward === s.info.rewardComponents!.chrf);
});

test('bad token ids and options are clear errors', () => {
  const env = makeEnvSync<TokenEnv>('Sort-v0');
  env.reset({ seed: 0 });
  assert.throws(() => env.step(100), /token id in \[0, 100\)/);
  assert.throws(() => makeEnvSync('Sort-v0', { minLength: 5, maxLength: 3 }), /maxLength/);
  assert.throws(() => makeEnvSync('Addition-v0', { reward: 'rouge' }), /'exact', 'chrf', 'bleu'/);
});

test.run();
