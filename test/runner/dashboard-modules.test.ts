/** The dashboard's pure modules (EMA, flattening, JSONL parsing, CSV/JSON export), loaded as the browser does. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// Plain JS browser modules (no types): loaded by URL so TypeScript does not try to type-check them.
const load = (f: string) => import(new URL(`../../runner/dashboard/${f}`, import.meta.url).href);
const util = await load('util.js');
const exporter = await load('export.js');

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
