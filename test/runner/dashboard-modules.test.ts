/**
 * The dashboard's pure functions (EMA, flattening, JSONL parsing, CSV/JSON export, labels, trouble
 * counts, annotator stats, action names), loaded as the browser does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// Browser modules, type-checked by their own project (runner/dashboard/tsconfig.json, DOM types): loaded
// here by URL, untyped, so this project's checker (Node types, no allowJs) leaves them alone.
const load = (f: string) => import(new URL(`../../runner/dashboard/${f}`, import.meta.url).href);
const util = await load('util.js');
const exporter = await load('export.js');
const panels = await load('panels.js');
const episodes = await load('episodes.js');

test('ema: debiased, skips gaps, identity at weight 0', () => {
  assert.equal(util.ema([1, 2, 3], 0), [1, 2, 3]);
  const s = util.ema([4, 4, 4, 4], 0.9);
  assert.ok(s.every((v: number) => Math.abs(v - 4) < 1e-12), 'a constant stays constant (no pull towards 0)');
  assert.is(util.ema([5], 0.99)[0], 5);
  const g = util.ema([2, null, Number.NaN, 4], 0.5);
  assert.is(g[1], null);
  assert.is(g[2], null);
  // s1 = 0.5·2 = 1 → 1/(1−0.5) = 2; s2 = 0.5·1 + 0.5·4 = 2.5 → 2.5/(1−0.25) = 3.333…
  assert.ok(Math.abs(g[3] - 10 / 3) < 1e-12, String(g[3]));
});

test('flatten: dotted keys, arrays as JSON, empty objects kept', () => {
  assert.equal(util.flatten({ a: { b: 1, c: { d: 'x' } }, e: [1, 2], f: {} }), { 'a.b': 1, 'a.c.d': 'x', e: '[1,2]', f: '{}' });
});

test('parseJsonl skips blank and half-written lines', () => {
  assert.equal(util.parseJsonl('{"step":1}\n\n{"step":2}\n{"step":'), [{ step: 1 }, { step: 2 }]);
});

test('fmt never prints NaN and keeps numbers short', () => {
  assert.is(util.fmt(Number.NaN), '—');
  assert.is(util.fmt(null), '—');
  assert.is(util.fmt(1234567), '1,234,567');
  assert.is(util.fmt(0.000012345), '1.234e-5');
  assert.is(util.fmt(0.5), '0.5');
  assert.is(util.fmt(46250.4), '46,250', 'thousands keep their digits');
  assert.is(util.fmt(1234.5678), '1,235');
});

test('axis labels: k, M, G past ten thousand', () => {
  assert.equal([15000, 12500, 2_500_000, 3e9, 9999, 0.25].map(util.axisLabel), ['15k', '12.5k', '2.5M', '3G', '9,999', '0.25']);
});

test('short labels tell runs with a long common prefix apart; middle ellipsis; paths shortened', () => {
  assert.equal(util.shortLabels(['keydoor-thr-20260101-120000', 'keydoor-thr-20260101-130000']), ['…120000', '…130000']);
  assert.equal(util.shortLabels(['dash-live', 'dash-20261202-002013']), ['dash-live', 'dash-20261202-002013'], 'a short common prefix is kept');
  const long = util.shortLabels(['experiment-with-a-very-long-name-seed-1-20260101-120000'])[0];
  assert.ok(long.length <= 28 && long.startsWith('experiment') && long.endsWith('120000') && long.includes('…'), long);
  assert.is(util.middleEllipsis('abcdefghij', 5), 'ab…ij');
  assert.is(util.shortenPaths('checkpoint /tmp/x/runs/a-1/checkpoints/c3.safetensors (every 30)'), 'checkpoint …/checkpoints/c3.safetensors (every 30)');
  assert.is(util.shortenPaths('reward 0.5/step'), 'reward 0.5/step', 'not a path');
});

test('trouble counts: totals from the latest record, per-update flags summed, zero left out', () => {
  const records = [
    { step: 1, faults: 0, skipped: 1, staleDropped: 3, ann_judgeDown: 1 },
    { step: 2, faults: 2, skipped: 0, staleDropped: 5, ann_judgeDown: 0, ann_judgeErrorsTotal: null },
    { step: 3, faults: 2, skipped: 1, staleDropped: 9, ann_judgeDown: 0 },
  ];
  const got = Object.fromEntries(panels.troubleCounts(records).map((t: { key: string; value: number }) => [t.key, t.value]));
  assert.equal(got, { faults: 2, staleDropped: 9, skipped: 2 });
});

test('annotator stats: the annotator topic first, else the ann_* metrics, else none', () => {
  const run = (annotator: unknown, records: unknown[]) => ({ annotator, records });
  assert.equal(panels.annotatorStats(run({ labels: 3 }, [{ step: 1, ann_labels: 9 }])), { stats: { labels: 3 }, source: 'annotator' });
  assert.equal(panels.annotatorStats(run(null, [{ step: 1, ann_captionsLabelled: 9, loss: 1 }])), { stats: { captionsLabelled: 9 }, source: 'metrics' });
  assert.is(panels.annotatorStats(run(null, [{ step: 1, loss: 1 }])), null);
});

test('actions by name when the episode names them', () => {
  assert.is(episodes.actionLabel(2, ['north', 'east', 'south', 'west']), 'south');
  assert.is(episodes.actionLabel(7, ['north']), '7');
  assert.is(episodes.actionLabel(1, undefined), '1');
  assert.is(episodes.actionLabel({ tool: 'x' }, undefined), '{"tool":"x"}');
});

test('CSV: one header over the union of keys, a run column, quoting', () => {
  const runs = [
    { label: 'a', live: true, config: { lr: 1 }, records: [{ step: 1, time: 0, envSteps: 5, loss: 0.5 }] },
    { label: 'b,"x"', live: false, config: null, records: [{ step: 1, reward: 2 }] },
  ];
  const lines = exporter.toCsv(runs).trim().split('\n');
  assert.equal(lines, ['run,step,time,envSteps,loss,reward', 'a,1,0,5,0.5,', '"b,""x""",1,,,,2']);
  const json = JSON.parse(exporter.toJson(runs));
  assert.equal(json.runs.map((r: { name: string }) => r.name), ['a', 'b,"x"']);
  assert.equal(json.runs[0].config, { lr: 1 });
});

test.run();
