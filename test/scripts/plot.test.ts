import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lineChartSvg, summarise } from '../../scripts/experiments/plot.ts';
import { passAtK } from '../../scripts/experiments/eval-text.ts';
import { movingAverage } from '../../scripts/experiments/report.ts';

test('summarise: mean, min and max per x over seeds, cut to the shortest seed', () => {
  const s = summarise([[0, 1, 2], [2, 3, 4, 99], [1, 2, 6]]);
  assert.equal(s.mean, [1, 2, 4]);
  assert.equal(s.lo, [0, 1, 2]);
  assert.equal(s.hi, [2, 3, 6]);
});

test('lineChartSvg: one polyline per series, a band only with several seeds, escaped text', () => {
  const svg = lineChartSvg({
    title: 'a < b & c', xLabel: 'x', yLabel: 'y', yMin: 0, yMax: 1,
    series: [
      { name: 'three seeds', x: [0, 1, 2], ys: [[0, 0.5, 1], [0, 0.25, 0.5], [0, 0.75, 1]] },
      { name: 'one seed', x: [0, 1, 2], ys: [[1, 0.5, 0]] },
    ],
  });
  assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
  assert.is(svg.match(/<polyline /g)?.length, 2);
  assert.is(svg.match(/<polygon /g)?.length, 1);
  assert.ok(svg.includes('a &lt; b &amp; c'));
  assert.ok(svg.includes('three seeds (n=3)'));
  assert.not.ok(svg.includes('NaN'));
  // The mean line of the first series ends at y = 1·(top of the plot) and starts at the bottom.
  const pts = svg.match(/<polyline points="([^"]+)"/)![1]!.split(' ').map((p) => p.split(',').map(Number));
  assert.ok(pts[0]![1]! > pts[2]![1]!, 'higher values are drawn higher (smaller SVG y)');
});

// pass@k = 1 − C(n−c, k)/C(n, k): checked against the binomial form directly.
const choose = (n: number, k: number) => { let r = 1; for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1); return r; };
for (const [n, c, k] of [[16, 0, 1], [16, 0, 16], [16, 1, 1], [16, 1, 16], [16, 3, 4], [16, 8, 8], [16, 15, 2], [10, 2, 5], [4, 4, 1]] as const) {
  test(`passAtK(n=${n}, c=${c}, k=${k}) equals 1 − C(n−c,k)/C(n,k)`, () => {
    const want = n - c < k ? 1 : 1 - choose(n - c, k) / choose(n, k);
    assert.ok(Math.abs(passAtK(n, c, k) - want) < 1e-12, `${passAtK(n, c, k)} vs ${want}`);
  });
}

test('passAtK: pass@1 is c/n; k > n is an error naming both', () => {
  assert.ok(Math.abs(passAtK(16, 5, 1) - 5 / 16) < 1e-12);
  assert.throws(() => passAtK(4, 1, 8), /n=4, k=8/);
});

test('movingAverage: trailing window, shorter at the start', () => {
  assert.equal(movingAverage([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5]);
  assert.equal(movingAverage([0, 1], 5), [0, 0.5]);
});

test.run();
