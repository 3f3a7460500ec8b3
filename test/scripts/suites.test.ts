/**
 * The experiment suites of docs/RESULTS.md: every arm of every suite resolves as an experiment config (its
 * env options, warm start or shipped encoder, learner and rewards), and each declares its protocol.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SUITES } from '../../scripts/experiments/suites.ts';
import { resolveExperiment } from '../../runner/index.ts';

// The THR suites of the tool study pick their reward from the finished reward suite's results (tool-eval.test.ts).
const NAMES = Object.keys(SUITES).filter((n) => !n.endsWith('-thr') || !n.startsWith('tool-reward'));

test('every suite has arms with distinct names and, where declared, at least 5 seeds', () => {
  for (const name of NAMES) {
    const s = SUITES[name]!({ quick: false });
    const arms = s.arms.map((a) => a.name);
    assert.equal(new Set(arms).size, arms.length, `${name}: arm names are distinct`);
    if (s.declaration) {
      assert.ok(s.declaration.seeds >= 5, `${name}: >= 5 seeds declared`);
      assert.is(s.seeds, s.declaration.seeds, `${name}: a full run uses the declared seeds by default`);
    }
  }
});

test('every arm of every suite resolves as an experiment config (shipped warm starts and encoder included)', async () => {
  for (const name of NAMES) {
    for (const a of SUITES[name]!({ quick: false }).arms) {
      const r = await resolveExperiment({ ...a.config, budget: { updates: 1 } });
      assert.ok(r.family, `${name}/${a.name}`);
    }
  }
});

test('perceptual-dungeon: its ext and novelty arms are oni-dungeon\'s, its perceptual arms differ only in the judge', () => {
  const oni = SUITES['oni-dungeon']!({ quick: false }), p = SUITES['perceptual-dungeon']!({ quick: false });
  for (const n of ['ext', 'novelty']) {
    const arm = p.arms.find((a) => a.name === n)!;
    assert.equal(arm.config, oni.arms.find((a) => a.name === n)!.config, n);
    assert.equal(arm.sameRunAs, { suite: 'oni-dungeon', arm: n }, `${n}: oni-dungeon's finished runs are taken`);
  }
  const [b, t] = ['builtin', 'trained'].map((n) => p.arms.find((a) => a.name === n)!.config);
  assert.equal({ ...b, name: '', rewards: { ...b!.rewards, judge: null } }, { ...t, name: '', rewards: { ...t!.rewards, judge: null } });
});

test('oni-dungeon-long: oni-dungeon\'s arms and configs at ten times the updates, a declared threshold', () => {
  const oni = SUITES['oni-dungeon']!({ quick: false }), long = SUITES['oni-dungeon-long']!({ quick: false });
  assert.equal(long.arms.map((a) => [a.name, a.config]), oni.arms.map((a) => [a.name, a.config]));
  assert.is(long.budget.updates, 10 * oni.budget.updates);
  assert.is(long.budget.updates % long.budget.checkpointEvery, 0, 'the last update is evaluated');
  assert.is(long.declaration!.timeToThreshold, 0.05);
});

test.run();
