/**
 * Resume after a crash (kill -9 between checkpoints): each step appears once in metrics.jsonl, the summary
 * covers the whole run, and a run directory in use is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { RunDir } from '../../runner/run-dir.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-resume-'));
const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const config = {
  name: 'resume', seed: 5,
  env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 4 },
  policy: { hidden: [16] },
  groupsPerUpdate: 2, budget: { updates: 6 }, actors: { workers: 1, groupsPerTask: 1 },
  logging: { dir: root, checkpointEvery: 3, episodeEvery: 0 }, server: { enabled: false },
};

test('after a crash past the last checkpoint, resume cuts the later records and the summary covers the whole run', async () => {
  const whole = await runExperiment(config, { quiet: true });
  const dir = whole.runDir;
  const before = readJsonl(join(dir, 'metrics.jsonl'));
  assert.equal(before.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  // A crash after update 6 was logged but before its checkpoint: only ckpt-3 survives, and the last line is cut short.
  rmSync(join(dir, 'checkpoints', 'ckpt-00000006'), { recursive: true });
  appendFileSync(join(dir, 'metrics.jsonl'), '{"step":7,"envSt');
  const r = await runExperiment({ budget: { updates: 8 } }, { quiet: true, resume: dir });
  assert.is(r.status, 'completed');
  const after = readJsonl(join(dir, 'metrics.jsonl'));
  assert.equal(after.map((x) => x.step), [1, 2, 3, 4, 5, 6, 7, 8], 'each step once, in order');
  assert.equal(after.slice(0, 3), before.slice(0, 3), 'records up to the checkpoint are kept as they were');
  const s = r.summary as Record<string, number>;
  assert.is(s.updates, 8);
  assert.is(s.successRateFirst, after[0].successRate, 'successRateFirst is the first tenth of the whole run (step 1)');
  assert.ok(Math.abs(s.stepsPerSec - s.envSteps / s.elapsedSeconds) < 1e-6 * s.stepsPerSec, 'steps/s over the whole run');
});

test('a run directory in use is refused, naming the process', async () => {
  const whole = await runExperiment({ ...config, name: 'locked', budget: { updates: 1 } }, { quiet: true });
  const held = RunDir.open(whole.runDir);
  held.lock();
  try {
    await runExperiment({ budget: { updates: 2 } }, { quiet: true, resume: whole.runDir });
    assert.unreachable('a second writer must be refused');
  } catch (err) {
    assert.match((err as Error).message, new RegExp(`in use by process ${process.pid}`));
  } finally {
    held.unlock();
  }
  const r = await runExperiment({ budget: { updates: 2 } }, { quiet: true, resume: whole.runDir });
  assert.is(r.summary.updates, 2, 'once released, the resume runs');
});

test('--resume rejects overrides it cannot apply, by name', async () => {
  const whole = await runExperiment({ ...config, name: 'over', budget: { updates: 1 } }, { quiet: true });
  try {
    await runExperiment({ learner: { learningRate: 1 }, budget: { updates: 2 } }, { quiet: true, resume: whole.runDir });
    assert.unreachable('learner overrides cannot apply on resume');
  } catch (err) {
    assert.match((err as Error).message, /only 'budget' can be changed, got 'learner'/);
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
