/**
 * The held-out evaluation of the experiment suites (scripts/experiments/eval-text.ts): the unbiased pass@k
 * against brute-force enumeration, and on the shipped EitherSort warm start the exact answer masses against
 * the sampled answer frequencies (two independent routes to the same quantity), plus the per-problem record.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend, policyFromCheckpoint, type TokenPolicy } from '../../agents/index.ts';
import { makeEnvSync, type TokenEnv } from '../../envs/index.ts';
import { evaluateCheckpoint, passAtK, type EvalSpec } from '../../scripts/experiments/eval-text.ts';
import { bootstrapCrossed, bootstrapPairedDiff } from '../../scripts/experiments/bootstrap.ts';

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
});

/** P(at least one correct among k drawn without replacement from n with c correct), by enumerating subsets. */
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0, all = 0;
  const rec = (start: number, left: number, any: boolean) => {
    if (left === 0) { all++; if (any) hit++; return; }
    for (let i = start; i <= n - left; i++) rec(i + 1, left - 1, any || i < c);
  };
  rec(0, k, false);
  return hit / all;
}

test('passAtK equals the subset enumeration', () => {
  for (const [n, c, k] of [[8, 0, 3], [8, 1, 1], [8, 3, 4], [10, 7, 2], [10, 10, 5], [12, 2, 12]]) {
    assert.ok(Math.abs(passAtK(n, c, k) - bruteForce(n, c, k)) < 1e-12, `n=${n} c=${c} k=${k}`);
  }
  assert.throws(() => passAtK(4, 1, 5), /n >= k/);
});

test('crossed bootstrap: a constant table has a zero-width interval; a shifted copy differs by the shift', () => {
  const a = [[1, 1, 1], [1, 1, 1]];
  assert.equal(bootstrapCrossed(a), { mean: 1, lo: 1, hi: 1 });
  const x = [[0.1, 0.5, 0.9, 0.3], [0.2, 0.4, 0.8, 0.3], [0.0, 0.6, 1.0, 0.2]];
  const m = bootstrapCrossed(x);
  assert.ok(m.lo < m.mean && m.mean < m.hi);
  assert.throws(() => bootstrapCrossed([[1, 2], [3]]), /same problems/);
  assert.throws(() => bootstrapPairedDiff(x, [[1, 2]]), /same problems/);
  const d = bootstrapPairedDiff(x.map((r) => r.map((v) => v + 0.25)), x);
  assert.ok(d.lo <= 0.25 + 1e-9 && d.hi >= 0.25 - 1e-9 && Math.abs(d.mean - 0.25) < 1e-12);
});

test('EitherSort warm start: exact answer masses match the sampled answer frequencies; per-problem record is consistent', () => {
  const policy = policyFromCheckpoint('agents/checkpoints/eithersort-v0.safetensors') as TokenPolicy;
  const options = { minLength: 5, maxLength: 8 };
  const envs = Array.from({ length: 16 }, () => makeEnvSync<TokenEnv>('EitherSort-v0', { ...options, split: 'test' }));
  const spec: EvalSpec = { envId: 'EitherSort-v0', envOptions: options, warmStart: '', checkpoints: [], problems: 16, n: 32, ks: [1, 8, 32], seed: 3 };
  const e = evaluateCheckpoint(policy, envs, spec, 'warm', 0);
  assert.ok(e.answerMass && e.sampledAnswerShare && e.greedyAnswerShare && e.perProblem.mass && e.perProblem.answerCounts);
  for (let j = 0; j < 2; j++) {
    // 512 samples (fixed seed): the sampled share of answer j estimates its mean mass (SE ≤ 0.022).
    assert.ok(Math.abs(e.sampledAnswerShare![j]! - e.answerMass![j]!) < 0.06, `answer ${j}: sampled ${e.sampledAnswerShare![j]} vs mass ${e.answerMass![j]}`);
  }
  assert.ok(e.answerMass![0]! > e.answerMass![1]!, 'the warm start favours the ascending answer');
  const sumCorrect = e.perProblem.correct.reduce((a, b) => a + b, 0);
  const sumAnswers = e.perProblem.answerCounts!.flat().reduce((a, b) => a + b, 0);
  assert.is(sumAnswers, sumCorrect, 'every correct sample is one of the two listed answers');
  assert.ok(Math.abs(e.sampled - sumCorrect / (16 * 32)) < 1e-12);
  e.perProblem.distinct.forEach((dd, p) => assert.ok(dd <= 2 && dd === e.perProblem.answerCounts![p]!.filter((c) => c > 0).length));
  assert.ok(Math.abs(e.greedyAnswerShare![0]! + e.greedyAnswerShare![1]! - e.greedy) < 1e-9);
  assert.ok(Math.abs(e.passAtK['32']! - e.perProblem.correct.filter((c) => c > 0).length / 16) < 1e-12, 'pass@n = share of problems with a correct sample');
  assert.ok(e.passAtK['1']! <= e.passAtK['8']! && e.passAtK['8']! <= e.passAtK['32']!);
  policy.dispose();
});

test.run();
