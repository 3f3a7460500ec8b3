/** Text tasks with several correct answers: EitherSort-v0 (exactly two) and Countdown-v0 (a verifier). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  makeEnvSync, checkEnv, defaultTokenizer as tok, evaluateCountdown, verifyCountdown, parseCountdownPrompt, splitOf, type TokenEnv,
} from '../../envs/index.ts';
import type { TextTaskEnv } from '../../envs/text/task.ts';

for (const [id, opts] of [['EitherSort-v0', {}], ['EitherSort-v0', { minLength: 2, maxLength: 9, split: 'test' }], ['Countdown-v0', {}], ['Countdown-v0', { count: 3, maxNumber: 30, split: 'test' }]] as const) {
  test(`${id} ${JSON.stringify(opts)} passes checkEnv (incl. demonstration replay)`, () => {
    const report = checkEnv(makeEnvSync(id, opts), { makeAnother: () => makeEnvSync(id, opts) });
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
  });
}

function play(env: TokenEnv, text: string) {
  for (const id of tok.encode(text)) env.step(id);
  return env.step(tok.eos);
}

test('EitherSort: exactly two correct answers — ascending and descending — both rewarded, nothing else', () => {
  const env = makeEnvSync<TextTaskEnv>('EitherSort-v0', {});
  for (let seed = 0; seed < 30; seed++) {
    env.reset({ seed });
    const { prompt, answers } = env.currentProblem();
    const digits = prompt.slice(3, -1);
    assert.is(new Set(digits).size, digits.length, 'distinct digits');
    const up = [...digits].sort().join('');
    assert.equal(answers, [up, [...up].reverse().join('')]);
    assert.equal(env.correctAnswers(), answers);
    for (const a of answers!) {
      env.reset({ seed });
      const s = play(env, a);
      assert.is(s.reward, 1); assert.is(s.info.success, true);
    }
    env.reset({ seed });
    const other = digits === up || digits === answers![1] ? up.slice(1) + up[0] : digits; // some other order
    assert.is(play(env, other).reward, 0);
  }
});

test('EitherSort: the split hashes the set of digits, so every permutation of a held-out set is held out', () => {
  const train = makeEnvSync<TextTaskEnv>('EitherSort-v0', { split: 'train' });
  const test_ = makeEnvSync<TextTaskEnv>('EitherSort-v0', { split: 'test' });
  const sets = (env: TextTaskEnv) => {
    const out = new Set<string>();
    for (let s = 0; s < 400; s++) { env.reset({ seed: s }); out.add(env.currentProblem().answers![0]); }
    return out;
  };
  const a = sets(train), b = sets(test_);
  for (const s of b) assert.not.ok(a.has(s), `digit set ${s} in both splits`);
  for (const s of b) assert.is(splitOf(`ud:${s}`), 'test');
});

test('Countdown: prompt format, sorted numbers, demonstration is correct; alternative solutions are rewarded too', () => {
  const env = makeEnvSync<TextTaskEnv>('Countdown-v0', {});
  for (let seed = 0; seed < 50; seed++) {
    env.reset({ seed });
    const p = env.currentProblem();
    const { numbers, target } = parseCountdownPrompt(p.prompt);
    assert.is(numbers.length, 4);
    assert.equal(numbers, [...numbers].sort((x, y) => x - y));
    assert.ok(target >= 1 && target <= 100);
    assert.ok(verifyCountdown(numbers, target, p.answer), p.answer);
    assert.is(env.correctAnswers(), null, 'not enumerable: a verifier decides');
  }
  // A hand case: 3, 5, 7, 12 → 41 = 3·12 + 5 = (7−3)·12 − 7 (7 twice: not allowed) = 12·3 + 7 − 5 + 3 (3 twice).
  const nums = [3, 5, 7, 12];
  assert.ok(verifyCountdown(nums, 41, '3*12+5'));
  assert.ok(verifyCountdown(nums, 41, ' 12*3 + 5 '));
  assert.ok(verifyCountdown(nums, 41, '(12-7)*5+3+3') === false, 'a number used twice');
  assert.not.ok(verifyCountdown(nums, 41, '(7-3)*12-7'), 'a number used twice');
  assert.not.ok(verifyCountdown(nums, 41, '4*12-7'), 'a number not given');
  assert.not.ok(verifyCountdown(nums, 41, '3*12+05'), 'leading zero');
  assert.not.ok(verifyCountdown(nums, 41, '-3+44'), 'unary minus / not given');
  assert.not.ok(verifyCountdown(nums, 41, '3*12+'), 'malformed');
  assert.not.ok(verifyCountdown(nums, 41, '(3*12+5'), 'unbalanced');
  assert.not.ok(verifyCountdown(nums, 40, '3*12+5'), 'wrong value');
  assert.ok(verifyCountdown(nums, 27, '(12-3)*(7-5+1)') === false, '1 is not given');
  assert.ok(verifyCountdown(nums, 45, '(12-3)*5'));
  assert.equal(evaluateCountdown('2*(3+4)-5'), { value: 9, used: [2, 3, 4, 5] });
  assert.is(evaluateCountdown('2/3'), null, 'no division');
  // Through step(): an alternative correct expression earns 1.
  env.reset({ seed: 0 });
  const { numbers, target } = parseCountdownPrompt(env.currentProblem().prompt);
  assert.ok(!verifyCountdown(numbers, target, '1+1'));
  const s = play(env, env.currentProblem().answer);
  assert.is(s.reward, 1);
});

test('bad options name the env and the key', () => {
  assert.throws(() => makeEnvSync('EitherSort-v0', { minLength: 6, maxLength: 4 }), /EitherSort-v0.*maxLength/);
  assert.throws(() => makeEnvSync('Countdown-v0', { count: 9 }), /Countdown-v0.*count/);
  assert.throws(() => makeEnvSync('Countdown-v0', { nums: 4 }), /Countdown-v0.*unknown config key 'nums'/);
});

test.run();
