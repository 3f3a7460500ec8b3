/** agents/eval statistics: the unbiased pass@k estimator and the Wilson interval, against closed forms. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { passAtK, passAtKs, passAtKCurve, wilsonInterval } from '../../agents/eval/stats.ts';

// pass@k = 1 − C(n−c, k)/C(n, k) (Chen et al. 2021), computed here from the binomial coefficients directly.
const choose = (n: number, k: number) => { let r = 1; for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1); return r; };
test('passAtK equals 1 − C(n−c,k)/C(n,k)', () => {
  for (const [n, c, k] of [[16, 0, 1], [16, 0, 16], [16, 1, 1], [16, 1, 16], [16, 3, 4], [16, 8, 8], [16, 15, 2], [10, 2, 5], [4, 4, 1], [2, 1, 2]]) {
    const want = n! - c! < k! ? 1 : 1 - choose(n! - c!, k!) / choose(n!, k!);
    assert.ok(Math.abs(passAtK(n!, c!, k!) - want) < 1e-12, `n=${n} c=${c} k=${k}: ${passAtK(n!, c!, k!)} vs ${want}`);
  }
  assert.ok(Math.abs(passAtK(8, 3, 1) - 3 / 8) < 1e-12, 'pass@1 is the fraction correct');
  assert.throws(() => passAtK(4, 1, 5), /n >= k/);
  assert.throws(() => passAtK(4, 5, 1), /c <= n/);
});

test('passAtKs: powers of two up to K, and K', () => {
  assert.equal(passAtKs(1), [1]);
  assert.equal(passAtKs(16), [1, 2, 4, 8, 16]);
  assert.equal(passAtKs(12), [1, 2, 4, 8, 12]);
});

test('passAtKCurve: pass@n over problems is the fraction of problems solved at least once', () => {
  const correct = [0, 1, 4, 0, 2];
  const c = passAtKCurve(correct, 4, [1, 4]);
  assert.ok(Math.abs(c['1']! - (0 + 1 + 4 + 0 + 2) / 20) < 1e-12);
  assert.ok(Math.abs(c['4']! - 3 / 5) < 1e-12);
});

test('wilsonInterval: textbook values, inside [0, 1], not degenerate at 0 or n', () => {
  const [lo, hi] = wilsonInterval(5, 10);
  assert.ok(Math.abs(lo - 0.2366) < 1e-4 && Math.abs(hi - 0.7634) < 1e-4, `${lo} ${hi}`);
  const [l0, h0] = wilsonInterval(0, 10);
  assert.is(l0, 0);
  assert.ok(Math.abs(h0 - 0.2775) < 1e-4, `${h0}`);
  const [l1, h1] = wilsonInterval(10, 10);
  assert.ok(Math.abs(l1 - 0.7225) < 1e-4 && h1 === 1, `${l1} ${h1}`);
  const [a, b] = wilsonInterval(300, 1000);
  assert.ok(a < 0.3 && b > 0.3 && b - a < 0.06);
});

test.run();
