import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateRewardsConfig } from '../../rewards/index.ts';

test('defaults: rubric judge, retrieval model, ONI coefficients', () => {
  const c = validateRewardsConfig({});
  assert.is(c.judge.kind, 'rubric');
  assert.is(c.model.kind, 'retrieval');
  assert.is(c.beta, 3);
  assert.is(c.cInt, 0.4);
  assert.is(c.annotator.batchSize, 100);
  assert.is(c.annotator.mode, 'label');
});

test('ranking model switches the annotator to pairs unless told otherwise', () => {
  assert.is(validateRewardsConfig({ model: { kind: 'ranking' } }).annotator.mode, 'pair');
  assert.is(validateRewardsConfig({ model: { kind: 'ranking' }, annotator: { mode: 'label' } }).annotator.mode, 'label');
});

const bad: Array<[string, unknown, RegExp]> = [
  ['unknown top key', { cExtt: 1 }, /unknown config key 'rewards\.cExtt' \(did you mean 'rewards\.cExt'\?\)/],
  ['unknown judge key', { judge: { kind: 'rubric', noize: 0.1 } }, /unknown config key 'rewards\.judge\.noize' \(did you mean 'rewards\.judge\.noise'\?\). Valid keys of 'rewards\.judge': kind, noise/],
  ['bad judge kind', { judge: { kind: 'gpt' } }, /'rewards\.judge\.kind' must be one of 'rubric', 'llm', 'perceptual', 'novelty', 'shuffled', got "gpt"/],
  ['noise out of range', { judge: { kind: 'rubric', noise: 1.5 } }, /'rewards\.judge\.noise' must be a number >= 0 and <= 1, got 1\.5/],
  ['llm key given instead of env name', { judge: { kind: 'llm', apiKeyEnv: 'sk-123 456' } }, /'rewards\.judge\.apiKeyEnv' must be a string \(the NAME of an environment variable/],
  ['llm bad url', { judge: { kind: 'llm', baseUrl: 'ftp://x' } }, /'rewards\.judge\.baseUrl' must be an http\(s\) URL .*got "ftp:\/\/x"/],
  ['tfjs encoder without path', { judge: { kind: 'perceptual', encoder: { kind: 'tfjs' } } }, /'rewards\.judge\.encoder\.path' is required/],
  ['bad model key', { model: { kind: 'retrieval', hidden: 3 } }, /unknown config key 'rewards\.model\.hidden'/],
  ['negative beta', { beta: -1 }, /'rewards\.beta' must be a number >= 0, got -1/],
  ['non-integer batch', { annotator: { batchSize: 2.5 } }, /'rewards\.annotator\.batchSize' must be an integer >= 1, got 2\.5/],
  ['string number', { cInt: '0.4' }, /'rewards\.cInt' must be a number, got "0\.4"/],
];
for (const [name, cfg, re] of bad) {
  test(`rejects ${name}`, () => {
    assert.throws(() => validateRewardsConfig(cfg), re);
  });
}

test('llm config never holds the key itself', () => {
  const c = validateRewardsConfig({ judge: { kind: 'llm', baseUrl: 'http://127.0.0.1:9/v1/' } });
  assert.equal(Object.keys(c.judge).includes('apiKey'), false);
  assert.is((c.judge as { baseUrl: string }).baseUrl, 'http://127.0.0.1:9/v1');
});

test.run();
