/**
 * scripts/experiments/caption-models.ts: the scoring and the budgeted judge's choice of captions, and a
 * small run end to end (random play on Dungeon-v0, two model kinds, two seeds).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetedCaptions, scorePredictions } from '../../scripts/experiments/caption-models.ts';
import { Rng } from '../../envs/index.ts';
import { assertNoStack, scriptRunner } from './fixtures/cli.ts';

const run = scriptRunner('experiments/caption-models.ts');

test('scorePredictions: accuracy, balanced accuracy, recall and the step-weighted accuracy', () => {
  // truth: 1 helpful of 4; the model finds it and calls one unhelpful caption helpful.
  const s = scorePredictions([1, 0, 0, 0], [0.7, 0.2, 0, 0], [1, 1, 10, 8]);
  assert.equal(s, { unseen: 4, positives: 1, accuracy: 0.75, balancedAccuracy: (1 + 2 / 3) / 2, recall: 1, stepAccuracy: 19 / 20 });
  const floor = scorePredictions([1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]);
  assert.is(floor.balancedAccuracy, 0.5, 'predicting "not helpful" everywhere is the 50% floor');
  assert.ok(Number.isNaN(scorePredictions([0, 0], [0, 0], [1, 1]).recall), 'no helpful caption: no recall');
});

test('budgetedCaptions: distinct, non-empty, at most the budget, the first ones of a seeded episode order', () => {
  const eps = [['a', '', 'b'], ['c', 'a'], ['d', 'e', 'f']];
  const got = budgetedCaptions(eps, 4, new Rng(3));
  assert.is(got.length, 4);
  assert.is(new Set(got).size, 4);
  assert.ok(!got.includes(''));
  assert.equal(budgetedCaptions(eps, 4, new Rng(3)), got, 'seeded');
  assert.equal(new Set(budgetedCaptions(eps, 100, new Rng(1))), new Set(['a', 'b', 'c', 'd', 'e', 'f']), 'a budget above the captions takes them all');
});

test('a small run: retrieval never calls an unseen caption helpful, the classifier is scored; JSON and table written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caption-models-'));
  try {
    const r = run('--episodes', '64', '--budgets', '40', '--noise', '0', '--models', 'retrieval,classification', '--seeds', '2', '--updates', '10', '--out', dir);
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(readFileSync(join(dir, 'caption-models-Dungeon-v0.json'), 'utf8')) as { rows: Array<{ model: string; labelled: number; all: { recall: number; balancedAccuracy: number; unseen: number } }>; captions: { all: number } };
    assert.is(out.rows.length, 4);
    for (const row of out.rows) {
      assert.is(row.labelled, 40);
      assert.is(row.all.unseen, out.captions.all - 40);
      if (row.model === 'retrieval') assert.is(row.all.balancedAccuracy, 0.5, 'a lookup table rewards no caption it was not given');
      else assert.ok(row.all.balancedAccuracy >= 0 && row.all.balancedAccuracy <= 1);
    }
    assert.match(readFileSync(join(dir, 'caption-models-Dungeon-v0.md'), 'utf8'), '| classification | 40 | 0 |');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bad flags: the flag, the value and what is valid; no stack trace', () => {
  for (const [args, msg] of [
    [['--noise', '0.7'], /--noise takes probabilities in \[0, 0.5\), got '0.7'/],
    [['--models', 'lookup'], /lookup/],
    [['--env', 'KeyDoor-v9'], /KeyDoor-v9/],
    [['--budgets', '0'], /--budgets takes positive integers/],
  ] as const) {
    const r = run(...args);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, msg);
    assertNoStack(r.stderr);
  }
});

test.run();
