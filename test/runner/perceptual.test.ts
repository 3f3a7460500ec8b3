/**
 * The perceptual judge end to end through runExperiment: actors ship frame keys and distinct frames, the
 * learner requests annotation of new frames, the annotator labels them (no 'no_frame' errors) and steps
 * are scored by frame key, so some episodes get a non-zero intrinsic reward. Non-game envs are rejected.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { resolveExperiment } from '../../runner/resolve.ts';
import { getExperiment } from '../../runner/experiments/index.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-perceptual-'));
const judge = { kind: 'perceptual', encoder: { kind: 'builtin', grid: 5 }, mode: 'goal-baseline', alpha: 0.5, output: 'score' };
const config = (over: Record<string, unknown> = {}) => ({
  name: 'perceptual-tiny',
  seed: 3,
  env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20, tileSize: 4 }, groupSize: 4 },
  policy: { hidden: [16] },
  learner: { thr: { p: 0 } },
  rewards: { judge, model: { kind: 'retrieval' }, cExt: 10, cInt: 0.1, beta: 3, annotator: { cacheDir: null } },
  groupsPerUpdate: 2,
  budget: { updates: 5 },
  actors: { workers: 1, groupsPerTask: 1 },
  logging: { dir: root, checkpointEvery: 0, episodeEvery: 0 },
  server: { enabled: false },
  ...over,
});

const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('frames are labelled by the perceptual judge and give intrinsic reward', async () => {
  const run = await runExperiment(config(), { quiet: true });
  assert.is(run.status, 'completed');
  const m = readJsonl(join(run.runDir, 'metrics.jsonl'));
  assert.is(m.length, 5);
  const last = m[m.length - 1];
  assert.ok(last.ann_captionsSeen > 0, 'frame keys were requested');
  assert.ok(last.ann_captionsLabelled > 0, `the judge labelled frames (labelled ${last.ann_captionsLabelled})`);
  assert.is(last.ann_judgeError_no_frame, 0, 'every request carried its frame');
  assert.is(last.ann_judgeErrorsTotal, 0, 'no judge errors (goal set from solver demonstrations)');
  assert.ok(last.rm_size === undefined || last.rm_size > 0);
  assert.ok(m.some((r) => r.intrinsicMean > 0), `some update has intrinsic reward: ${m.map((r) => r.intrinsicMean).join(', ')}`);
});

test('the perceptual judge is rejected for a non-game env, naming the key', async () => {
  try {
    await resolveExperiment(config({ env: { id: 'Addition-v0', groupSize: 4 } }));
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match((err as Error).message, /rewards\.judge\.kind/);
    assert.match((err as Error).message, /perceptual/);
  }
});

test('the perceptual judge needs the retrieval model (scores by frame key)', async () => {
  try {
    await resolveExperiment(config({ rewards: { judge, model: { kind: 'ranking' } } }));
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match((err as Error).message, /rewards\.model\.kind/);
  }
});

test('the named experiment keydoor-perceptual resolves', async () => {
  const r = await resolveExperiment(getExperiment('keydoor-perceptual'));
  assert.is((r.config.rewards!.judge as { kind: string }).kind, 'perceptual');
  assert.is(r.family, 'games');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
