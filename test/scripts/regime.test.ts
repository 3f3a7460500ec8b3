import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, wilson } from '../../scripts/experiments/regime.ts';

test('wilson: the 95% score interval', () => {
  const [lo0, hi0] = wilson(0, 100);
  assert.is(lo0, 0);
  assert.ok(Math.abs(hi0 - 1.96 ** 2 / (100 + 1.96 ** 2)) < 1e-12, `upper bound with no successes: ${hi0}`);
  const [lo, hi] = wilson(50, 100);
  assert.ok(Math.abs(lo - 0.4038) < 1e-3 && Math.abs(hi - 0.5962) < 1e-3, `${lo} ${hi}`);
  const [a, b] = wilson(3, 1000);
  assert.ok(a > 0 && a < 0.003 && b > 0.003 && b < 0.01);
});

test('regime check: both policies measured on a small run, JSON written where asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'regime-'));
  const out = join(dir, 'r.json');
  const log = console.log;
  console.log = () => {};
  try {
    await main(['Dungeon-v0', '--options', '{"noise":0.2}', '--episodes', '24', '--groups', '3', '--out', out]);
  } finally { console.log = log; }
  const r = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(r.env, 'Dungeon-v0');
  assert.is(r.options.noise, 0.2);
  for (const p of [r.random, r.fresh]) {
    assert.is(p.episodes, 24);
    assert.is(p.groups, 3);
    assert.ok(p.success >= 0 && p.success <= 1 && p.successCI95[0] <= p.success && p.success <= p.successCI95[1]);
    assert.ok(p.zeroVarianceExtrinsic >= 0 && p.zeroVarianceExtrinsic <= 1);
    assert.is(p.chainReached.length, 4);
    assert.ok(p.chainReached[0] >= p.chainReached[3], 'reaching later events is rarer');
    assert.ok(p.captions.distinct > 20 && p.captions.distinctHelpful < p.captions.distinct);
    assert.ok(p.episodeLength.mean > 30 && p.episodeLength.mean <= 40, `episode length ${p.episodeLength.mean} (T = 40)`);
  }
  assert.not.match(readFileSync(out, 'utf8'), /(^|[\s"'])\//, 'no absolute paths in the output');
  rmSync(dir, { recursive: true, force: true });
});

test.run();
