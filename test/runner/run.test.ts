/**
 * End-to-end runs with tiny budgets: a run writes a valid run directory; with one actor worker the same
 * seed and config give the same metrics; --resume continues from the latest checkpoint.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { loadCheckpoint, latestCheckpoint } from '../../runner/checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-run-'));
const config = (over: Record<string, unknown> = {}) => ({
  name: 'tiny',
  seed: 7,
  env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 30 }, groupSize: 4 },
  policy: { hidden: [16] },
  learner: { thr: { p: 0.5 } },
  rewards: { judge: { kind: 'rubric' }, model: { kind: 'retrieval' }, annotator: { cacheDir: null } },
  groupsPerUpdate: 2,
  budget: { updates: 4 },
  actors: { workers: 1, groupsPerTask: 1 },
  logging: { dir: root, checkpointEvery: 2, episodeEvery: 1 },
  server: { enabled: false },
  ...over,
});

const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
// Fields that depend on wall-clock time or memory, not on the computation.
const VOLATILE = /(^time$|Ms$|PerSec$|^rssMB|^actor(Heap|External)MBMax$|^queue|^actorBlocked|labelsPerSec)/;
const stable = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !VOLATILE.test(k)));

let first: Awaited<ReturnType<typeof runExperiment>>;

test('a short run writes config, metrics, episodes, checkpoints and a summary', async () => {
  first = await runExperiment(config(), { quiet: true });
  assert.is(first.status, 'completed');
  const dir = first.runDir;
  for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'episodes.jsonl', 'events.jsonl']) assert.ok(existsSync(join(dir, f)), f);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.is(cfg.env.id, 'KeyDoor-v0');
  assert.is(cfg.learner.thr.p, 0.5, 'the resolved learner config is recorded');
  assert.ok(Array.isArray(cfg.policy.obsShape), 'the policy config is filled from the env');
  const m = readJsonl(join(dir, 'metrics.jsonl'));
  assert.is(m.length, 4);
  assert.equal(m.map((r) => r.step), [1, 2, 3, 4]);
  for (const r of m) {
    assert.is(r.episodes, 8);
    for (const k of ['envSteps', 'successRate', 'returnMean', 'intrinsicMean', 'policyLag', 'staleDropped', 'faults', 'learner_loss']) assert.type(r[k], 'number', k);
    // Each actor worker thread reports its own memory: a plausible heap (a thread's V8 heap is MBs, below its limit).
    assert.ok(r.actorWorkersReporting >= 1 && r.actorHeapMBMax > 1 && r.actorHeapMBMax < cfg.actors.workerMemoryMB, `actor heap ${r.actorHeapMBMax} MB from ${r.actorWorkersReporting} workers`);
    assert.ok(r.actorExternalMBMax >= 0);
  }
  assert.ok(m[3].envSteps > m[0].envSteps);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.is(s.status, 'completed');
  assert.is(s.updates, 4);
  assert.is(s.envSteps, m[3].envSteps);
  const ck = latestCheckpoint(join(dir, 'checkpoints'));
  assert.ok(ck && ck.endsWith('ckpt-00000004'));
  const data = loadCheckpoint(ck!);
  assert.is(data.counters.updates, 4);
  assert.ok(data.weights.byteLength > 100);
  assert.ok(data.learnerState, 'optimiser state saved');
  assert.ok(data.rewardState, 'reward-model state saved');
  const ep = readJsonl(join(dir, 'episodes.jsonl'));
  assert.ok(ep.length >= 1);
  assert.type(ep[0].steps[0].message, 'string');
});

test('one worker, same seed and config → the same metrics', async () => {
  const again = await runExperiment(config(), { quiet: true });
  assert.equal(again.metrics.map(stable), first.metrics.map(stable));
  const other = await runExperiment(config({ seed: 8 }), { quiet: true });
  assert.not.equal(other.metrics.map(stable), first.metrics.map(stable), 'a different seed changes the run');
});

test('resume continues from the latest checkpoint with counters, optimiser and reward-model state', async () => {
  const r = await runExperiment({ budget: { updates: 6 } }, { quiet: true, resume: first.runDir });
  assert.is(r.status, 'completed');
  const m = readJsonl(join(first.runDir, 'metrics.jsonl'));
  assert.equal(m.map((x) => x.step), [1, 2, 3, 4, 5, 6]);
  assert.is(m[4].version, 5);
  assert.ok(m[4].envSteps > m[3].envSteps);
  const ck = loadCheckpoint(latestCheckpoint(join(first.runDir, 'checkpoints'))!);
  assert.is(ck.version, 6);
  assert.is(ck.counters.updates, 6);
  const dirs = readdirSync(join(first.runDir, 'checkpoints'));
  assert.ok(dirs.every((d) => /^ckpt-\d{8}$/.test(d)), `only complete checkpoints remain: ${dirs}`);
});

test('an abort (Ctrl-C) stops cleanly with a checkpoint and a summary', async () => {
  const ctrl = new AbortController();
  const r = await runExperiment(config({ name: 'abort', budget: { seconds: 120 }, logging: { dir: root, checkpointEvery: 0 } }), {
    quiet: true, signal: ctrl.signal, onMetrics: (m) => { if (m.step === 2) ctrl.abort(); },
  });
  assert.is(r.status, 'interrupted');
  const s = JSON.parse(readFileSync(join(r.runDir, 'summary.json'), 'utf8'));
  assert.is(s.status, 'interrupted');
  const ck = latestCheckpoint(join(r.runDir, 'checkpoints'));
  assert.ok(ck, 'a checkpoint was written on abort');
  assert.ok(loadCheckpoint(ck!).counters.updates >= 2);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
