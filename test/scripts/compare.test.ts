/** `npm run compare`: two synthetic run directories (config.json, metrics.jsonl, summary.json). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptRunner } from './fixtures/cli.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns, flatten, formatComparison, metricView } from '../../runner/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-compare-'));

function makeRun(name: string, config: Record<string, unknown>, success: number[], extra: { summary?: boolean; partial?: boolean } = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const lines = success.map((s, i) => JSON.stringify({ step: i + 1, time: i, envSteps: 100 * (i + 1), successRate: s, returnMean: 2 * s, learner_loss: 1 / (i + 1), learner_entropy: 1.3 - i * 0.01 }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n' + (extra.partial ? '{"step": 99, "successRa' : ''));
  if (extra.summary !== false) writeFileSync(join(dir, 'summary.json'), JSON.stringify({ status: 'completed', env: 'KeyDoor-v0', updates: success.length, envSteps: 100 * success.length, elapsedSeconds: 120 }));
  return dir;
}

const cfg = (p: number, lr: number) => ({ name: 'x', seed: 1, env: { id: 'KeyDoor-v0', options: { size: 7 } }, learner: { learningRate: lr, thr: { p, tau: 0 } }, rewards: null, budget: { updates: 6 } });
const a = makeRun('run-a', cfg(0.5, 3e-3), [0.1, 0.2, 0.6, 0.4, 0.3, 0.5]);
const b = makeRun('run-b', { ...cfg(0, 3e-3), extraKey: [1, 2] }, [0.1, 0.1, 0.2, 0.2, 0.3, 0.3], { summary: false, partial: true });

test('flatten: nested objects become dotted keys, arrays and empty objects stay values', () => {
  assert.equal(flatten({ a: { b: 1, c: { d: 'x' } }, e: [1, 2], f: {}, g: null }), { 'a.b': 1, 'a.c.d': 'x', e: [1, 2], f: {}, g: null });
});

test('metricView: final = mean of the last window; best = best window mean and the update it ends at', () => {
  const recs = [0.1, 0.2, 0.6, 0.4, 0.3, 0.5].map((v, i) => ({ step: i + 1, successRate: v }));
  const m = metricView(recs, 'successRate', 'max', 2)!;
  assert.ok(Math.abs(m.final! - 0.4) < 1e-12);
  assert.ok(Math.abs(m.best! - 0.5) < 1e-12);
  assert.is(m.bestStep, 4, 'updates 3–4 average 0.5 (and 2–3 only 0.4)');
  const low = metricView(recs, 'successRate', 'min', 1)!;
  assert.is(low.best, 0.1);
  assert.is(low.bestStep, 1);
  assert.is(metricView(recs, 'absent', 'max', 2), null);
  assert.is(metricView(recs, 'successRate', null, 3)!.best, null);
});

test('compareRuns: final/best of the key metrics, totals, and only the config keys that differ', () => {
  const c = compareRuns([a, b], { window: 2 });
  assert.equal(c.runs.map((r) => r.label), ['run-a', 'run-b']);
  assert.is(c.runs[0]!.status, 'completed');
  assert.match(c.runs[1]!.status!, /no summary/, 'a run without summary.json says so');
  assert.is(c.runs[1]!.updates, 6, 'totals fall back to the last metrics record');
  assert.is(c.runs[1]!.records, 6, 'a line cut short by a crash is skipped');
  assert.ok(Math.abs(c.runs[0]!.metrics.successRate!.final! - 0.4) < 1e-12);
  assert.ok(Math.abs(c.runs[1]!.metrics.successRate!.best! - 0.3) < 1e-12);
  assert.ok(Math.abs(c.runs[0]!.metrics.returnMean!.final! - 0.8) < 1e-12);
  assert.ok(c.runs[0]!.metrics.learner_loss, 'learner_loss is reported');
  assert.equal(Object.keys(c.configDiff).sort(), ['extraKey', 'learner.thr.p']);
  assert.equal(c.configDiff['learner.thr.p'], [0.5, 0]);
  assert.equal(c.configDiff.extraKey, [undefined, [1, 2]]);
  const text = formatComparison(c);
  assert.match(text, /successRate final\s+0\.4000\s+0\.3000/);
  assert.match(text, /successRate best\s+0\.5000 @4\s+0\.3000 @6/);
  assert.match(text, /learner\.thr\.p\s+0\.5\s+0$/m);
  assert.match(text, /extraKey\s+\(absent\)\s+\[1,2\]/);
  assert.not.match(text, /learningRate/, 'equal keys are not shown');
});

test('compareRuns: runs with the same directory name are told apart by path; a non-run is an error naming it', () => {
  const dup = makeRun(join('other', 'run-a'), cfg(0.5, 1e-3), [0.2]);
  const c = compareRuns([a, dup]);
  assert.equal(c.runs.map((r) => r.label), [a, dup]);
  assert.equal(Object.keys(c.configDiff), ['learner.learningRate']);
  assert.throws(() => compareRuns([join(root, 'missing')]), /is not a run directory: it has no config\.json/);
});

test('npm run compare: table, --json, and flag errors without stack traces', () => {
  const run = scriptRunner('compare.ts');
  const t = run(a, b, '--window', '2');
  assert.is(t.status, 0, t.stderr);
  assert.match(t.stdout, /run-a\s+run-b/);
  assert.match(t.stdout, /config differences \(2 keys\)/);
  const j = run(a, b, '--json', '--metrics', 'envSteps');
  assert.is(j.status, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.is(doc.runs.length, 2);
  assert.ok(Math.abs(doc.runs[0].metrics.envSteps.final - 350) < 1e-9, '--metrics adds a key (mean of the last 10 = all 6)');
  const bad = run(a, '--windw', '3');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown flag --windw \(did you mean --window\?\)/);
  assert.not.match(bad.stderr, /\n\s+at /);
  const none = run(join(root, 'missing'));
  assert.is(none.status, 1);
  assert.match(none.stderr, /^error: .*is not a run directory/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
