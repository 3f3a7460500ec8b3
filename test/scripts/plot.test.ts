import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lineChartSvg, summarise } from '../../scripts/experiments/plot.ts';
import { passAtK } from '../../scripts/experiments/eval-text.ts';
import { movingAverage, perProblemValues, report, updatesToThreshold } from '../../scripts/experiments/report.ts';
import { bootstrapPairedDiff } from '../../scripts/experiments/bootstrap.ts';
import { SUITES } from '../../scripts/experiments/suites.ts';
import type { JobResult, SuiteResults } from '../../scripts/experiments/run.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

const gameJob = (arm: string, seed: number, success: number[], extra: Record<string, number[]> = {}): JobResult => ({
  arm, seed, runDir: 'runs/x', wallSeconds: 10, evalSeconds: 0,
  summary: { successRateFirst: success[0], successRateLast: success.at(-1), envSteps: 1000 * success.length },
  metrics: { step: success.map((_, i) => i + 1), envSteps: success.map((_, i) => 1000 * (i + 1)), time: success.map((_, i) => i), successRate: success, returnMean: success, extrinsicMean: success, intrinsicMean: success.map(() => 0), extra },
});

test('updatesToThreshold: the first update whose moving mean reaches the share; null when none does', () => {
  const j = gameJob('a', 1, [0, 0, 0.1, 0.1, 0.3, 0.3]);
  assert.is(updatesToThreshold(j, 0.1, 1), 3);
  assert.is(updatesToThreshold(j, 0.1, 2), 4, 'the window of 2 reaches 0.1 at update 4');
  assert.is(updatesToThreshold(j, 0.5, 1), null);
});

test('report: a declared threshold and the annotator\'s counts get their tables (labels, unseen-caption accuracy)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-report-'));
  try {
    const ann = { ann_captionsLabelled: [10, 20], ann_captionsSent: [10, 30], rm_heldOutAccuracy: [0.9, 0.95], rm_unseenCaptions: [5, 8], rm_unseenAccuracy: [0.5, 0.75], rm_unseenBalancedAccuracy: [0.5, 0.6] };
    const r = {
      suite: 'toy', title: 'toy', quick: false, command: 'x', seeds: [1, 2],
      arms: [{ name: 'ext', label: 'extrinsic only', config: {} }, { name: 'oni', label: 'ONI', config: {} }],
      budget: { updates: 2, checkpointEvery: 0 }, eval: null, warmStart: null,
      declaration: { claim: 'c', sources: [], primaryMetric: 'p', secondary: [], arms: 'a', budget: 'b', seeds: 2, regime: 'r', against: [], timeToThreshold: 0.2 },
      jobs: [gameJob('ext', 1, [0, 0]), gameJob('ext', 2, [0, 0.1]), gameJob('oni', 1, [0.1, 0.3], ann), gameJob('oni', 2, [0.2, 0.4], ann)],
      machine: { cpus: 2, node: 'v20', date: 'd' },
    } as unknown as SuiteResults;
    const md = report(r, dir);
    assert.match(md, 'reaches 20.0% (declared)');
    assert.match(md, '| extrinsic only | 0/2 | – |');
    assert.match(md, '| ONI | 2/2 | 2 [1–2] |');
    assert.match(md, '| ONI | 20 [20–20] | 30 [30–30] | 95.0 [95.0–95.0] | 8 [8–8] | 75.0 [75.0–75.0] | 60.0 [60.0–60.0] |');
    assert.not.match(md, '| extrinsic only | 0 [');
    assert.not.match(md, 'Runs made by', 'jobs that recorded no command add nothing to the header');
    const pieces = { ...r, jobs: r.jobs.map((j, i) => (i < 3 ? { ...j, command: i < 2 ? 'npm run experiment -- toy --seeds 1' : 'npm run experiment -- toy --seeds 2-2' } : j)) };
    assert.match(report(pieces, dir), 'Runs made by: `npm run experiment -- toy --seeds 1` (2); `npm run experiment -- toy --seeds 2-2` (1); 1 by a command not recorded');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('report: the declared contrasts of oni-dungeon (committed results) are paired bootstrap differences after the last update', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-report-'));
  try {
    const r = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/results/oni-dungeon.json'), 'utf8')) as SuiteResults;
    const withDecl = { ...r, declaration: SUITES['oni-dungeon']!({ quick: false }).declaration };
    const md = report(withDecl, dir);
    const last = (arm: string) => r.jobs.filter((j) => j.arm === arm).map((j) => perProblemValues(j.eval!.at(-1)!, { kind: 'passAtK', k: 1 }, r.eval!.n)!);
    const d = bootstrapPairedDiff(last('oni'), last('novelty'));
    assert.match(md, `| rubric judge + classification RM (ONI) − novelty only (every caption labelled 1) | 5 vs 5 | ${(d.mean * 100).toFixed(1)} [${(d.lo * 100).toFixed(1)}, ${(d.hi * 100).toFixed(1)}] |`);
    assert.match(md, '| ONI with per-step credit (outcome + intrinsic rewards to go) − rubric judge + classification RM (ONI) | 5 vs 5 |');
    assert.not.match(report(r.declaration?.contrasts ? { ...r, declaration: { ...r.declaration, contrasts: [] } } : r, dir), 'Declared contrasts');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
