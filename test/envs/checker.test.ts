import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEnv, assertEnv } from '../../envs/index.ts';
import { Faulty, type Fault } from './fixtures/broken-envs.ts';

test('a correct env passes every rule', () => {
  const r = checkEnv(new Faulty('none'), { makeAnother: () => new Faulty('none') });
  assert.ok(r.results.some((x) => x.name === 'fresh instance, same seed, same episode'));
  assert.ok(r.ok, JSON.stringify(r.results.filter((x) => !x.ok)));
  assert.ok(r.results.length >= 10);
});

const CASES: Array<[Fault, RegExp]> = [
  ['nondeterministic', /determinism/],
  ['no-throw-after-end', /step after episode end throws/],
  ['obs-outside-space', /obs in observationSpace/],
  ['unserialisable-info', /msgpack/],
  ['never-ends', /episode ends within maxEpisodeSteps/],
  ['no-success', /success on last step/],
  ['bad-reward', /^step$/],
];

for (const [fault, rule] of CASES) {
  test(`checkEnv catches: ${fault}`, () => {
    const r = checkEnv(new Faulty(fault));
    assert.not.ok(r.ok);
    const failed = r.results.filter((x) => !x.ok).map((x) => x.name);
    assert.ok(failed.some((n) => rule.test(n)), `failed rules: ${failed.join(', ')}`);
    assert.throws(() => assertEnv(new Faulty(fault)), /fails the checker/);
  });
}

test('checkEnv catches an env whose episodes depend on the instance, not only the seed', () => {
  const ok = checkEnv(new Faulty('instance-dependent'));
  assert.ok(ok.ok, 'one instance alone looks deterministic');
  const r = checkEnv(new Faulty('instance-dependent'), { makeAnother: () => new Faulty('instance-dependent') });
  assert.equal(r.results.filter((x) => !x.ok).map((x) => x.name), ['fresh instance, same seed, same episode']);
});

test("checkEnv: spec.goal, when given, is the task in words (a non-empty string)", () => {
  for (const goal of ['reach cell 2', undefined]) {
    const env = new Faulty('none');
    (env.spec as { goal?: unknown }).goal = goal;
    assert.ok(checkEnv(env).ok, String(goal));
  }
  for (const goal of ['', '  ', 42]) {
    const env = new Faulty('none');
    (env.spec as { goal?: unknown }).goal = goal;
    const r = checkEnv(env);
    assert.equal(r.results.filter((x) => !x.ok).map((x) => x.name), ['spec'], JSON.stringify(goal));
    assert.match(r.results.find((x) => !x.ok)!.detail, /spec\.goal/);
  }
});

test('a throwing env becomes failed rules, not a crash', () => {
  const env = new Faulty('none');
  env.reset = () => { throw new Error('boom'); };
  const r = checkEnv(env);
  assert.not.ok(r.ok);
  assert.match(r.results.find((x) => !x.ok)!.detail, /boom/);
});

test.run();
