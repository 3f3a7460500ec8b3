/**
 * Fault injection: an env plugin that throws on a given step, an actor worker thread that exits — the run
 * goes on and the faults are counted; checkpoints are atomic (a failed write leaves no final directory).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExperiment } from '../../runner/experiment.ts';
import { saveCheckpoint, latestCheckpoint, loadCheckpoint, type RunnerCounters } from '../../runner/checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-faults-'));
const envPath = fileURLToPath(new URL('./fixtures/faulty-env.ts', import.meta.url));
const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const config = (options: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  name: 'faulty',
  seed: 3,
  env: { id: envPath, options, groupSize: 4 },
  policy: { hidden: [8] },
  groupsPerUpdate: 2,
  budget: { updates: 8 },
  actors: { workers: 1, groupsPerTask: 1 },
  logging: { dir: root, checkpointEvery: 0, episodeEvery: 0 },
  server: { enabled: false },
  ...over,
});

test('an env that throws: the fault is reported with env id, seed and step; its group is discarded; the run goes on', async () => {
  const r = await runExperiment(config({ throwMod: 3, throwStep: 2 }), { quiet: true });
  assert.is(r.status, 'completed');
  assert.is(r.metrics.length, 8);
  const last = r.metrics.at(-1)!;
  assert.ok(last.envFaults > 0, 'faults counted');
  assert.ok(r.metrics.some((m) => m.episodes < 8), 'faulted groups are missing from some updates');
  assert.ok(r.metrics.some((m) => m.episodes > 0));
  const events = readJsonl(join(r.runDir, 'events.jsonl')).filter((e) => e.kind === 'fault');
  assert.ok(events.length > 0);
  const e = events[0];
  assert.is(e.envId, 'FaultyCorridor');
  assert.is(e.step, 1, 'the step index (0-based) of the failing step');
  assert.is(e.seed % 3, 0);
  assert.ok(e.message.includes('injected env fault'));
  assert.is(r.summary.envFaults, last.envFaults);
});

test('a NaN reward drops that episode (not the update), attributed to its env, seed and step', async () => {
  const r = await runExperiment(config({ nanMod: 3, nanStep: 2 }), { quiet: true });
  assert.is(r.status, 'completed');
  const s = r.summary as Record<string, number>;
  assert.is(s.skippedUpdates, 0, 'no update was voided');
  assert.ok(s.envFaults > 0 && s.discardedEpisodes === s.envFaults, `one episode discarded per bad reward (${s.envFaults} faults, ${s.discardedEpisodes} discarded)`);
  const faults = readJsonl(join(r.runDir, 'events.jsonl')).filter((e) => e.kind === 'fault');
  assert.is(faults[0].faultKind, 'bad-reward');
  assert.is(faults[0].seed % 3, 0);
  assert.is(faults[0].step, 1);
  assert.ok(r.metrics.every((m) => Number.isFinite(m.learner_loss)), 'every update trained on finite rewards');
});

test('an observation of the wrong length: its group is dropped as a bad-observation fault, attributed and counted; the run goes on', async () => {
  const r = await runExperiment(config({ shortMod: 3, shortRem: 1, shortStep: 2 }), { quiet: true });
  assert.is(r.status, 'completed');
  assert.is(r.metrics.length, 8);
  const s = r.summary as Record<string, number>;
  assert.ok(s.envFaults > 0, `faults counted (${s.envFaults})`);
  assert.is(s.discardedEpisodes, s.envFaults * 4, 'the whole group of each faulted episode');
  const faults = readJsonl(join(r.runDir, 'events.jsonl')).filter((e) => e.kind === 'fault');
  assert.ok(faults.length > 0 && faults.every((e) => e.faultKind === 'bad-observation' && e.seed % 3 === 1 && e.step === 1), JSON.stringify(faults[0]));
  assert.match(faults[0].message, /length \d+; the observation space holds \d+ values/);
  assert.ok(r.metrics.filter((m) => m.episodes > 0).every((m) => Number.isFinite(m.learner_loss)), 'every update with data trained on it');
});

test('an env step that hangs: the task deadline stops its worker, the group is discarded and counted, the run goes on', async () => {
  const r = await runExperiment(config({ hangMod: 5, hangRem: 2, hangStep: 2 }, { actors: { workers: 1, groupsPerTask: 1, taskTimeoutSeconds: 3 }, budget: { updates: 6 } }), { quiet: true });
  assert.is(r.status, 'completed');
  assert.is(r.metrics.length, 6);
  const s = r.summary as Record<string, number>;
  assert.ok(s.workerFaults > 0, `the hang is counted as a worker fault (${s.workerFaults})`);
  assert.is(s.discardedEpisodes, s.workerFaults * 4);
  const faults = readJsonl(join(r.runDir, 'events.jsonl')).filter((e) => e.kind === 'fault');
  assert.ok(faults.some((e) => e.faultKind === 'timeout' && /taskTimeoutSeconds/.test(e.message)), 'the event names the deadline');
});

test('an env plugin that leaks off-heap memory: its worker is stopped over actors.workerMemoryMB, replaced and counted; the run goes on', async () => {
  const r = await runExperiment(config({ leakMB: 8 }, { actors: { workers: 1, groupsPerTask: 1, workerMemoryMB: 320 }, budget: { updates: 12 } }), { quiet: true });
  assert.is(r.status, 'completed');
  assert.is(r.metrics.length, 12);
  const s = r.summary as Record<string, number>;
  assert.ok(s.workerFaults > 0, `the leak is stopped and counted (${s.workerFaults} worker faults)`);
  const faults = readJsonl(join(r.runDir, 'events.jsonl')).filter((e) => e.kind === 'fault');
  assert.ok(faults.some((e) => /over actors\.workerMemoryMB = 320/.test(e.message)), faults.map((e) => e.message).join(' | '));
  assert.ok(r.metrics.some((m) => m.actorExternalMBMax > 100), 'the leak shows in the per-worker memory metric');
  assert.ok(r.metrics.slice(-4).some((m) => m.episodes > 0), `later updates still get rollouts: ${r.metrics.map((m) => m.episodes).join(' ')}`);
});

test('an actor worker that exits is replaced; its episodes are discarded and counted; the run goes on', async () => {
  const r = await runExperiment(config({ exitMod: 4, exitRem: 1, exitStep: 2 }, { actors: { workers: 2, groupsPerTask: 1 } }), { quiet: true });
  assert.is(r.status, 'completed');
  assert.is(r.metrics.length, 8);
  const s = r.summary as Record<string, number>;
  assert.ok(s.workerFaults > 0, `worker faults counted (${s.workerFaults})`);
  assert.is(s.discardedEpisodes, s.workerFaults * 4);
  assert.ok(r.metrics.slice(-3).some((m) => m.episodes > 0), 'later updates still get rollouts');
});

const counters: RunnerCounters = { updates: 1, envSteps: 10, episodes: 2, tasks: 1, groups: 1, workerFaults: 0, envFaults: 0, discardedEpisodes: 0, skippedUpdates: 0, elapsedSeconds: 1 };

test('checkpoints are atomic: a crash mid-write leaves no final directory; leftovers are ignored and cleaned', () => {
  const dir = join(root, 'ck');
  saveCheckpoint(dir, { version: 1, weights: new Uint8Array([1, 2, 3]), learnerState: { a: Float32Array.of(1) }, rewardState: null, requested: ['x'], counters, rng: { seed: 1, tasks: 1 } }, 3);
  // A write that fails half-way (the weights are written, then the state blows up) must not produce ckpt-00000002.
  const failing = { toJSON() { throw new Error('disk full (simulated)'); } };
  const bad = new Proxy({}, { get() { throw new Error('disk full (simulated)'); } });
  assert.throws(() => saveCheckpoint(dir, { version: 2, weights: new Uint8Array([9]), learnerState: bad, rewardState: failing, requested: [], counters, rng: { seed: 1, tasks: 1 } }, 3), /disk full/);
  assert.not.ok(existsSync(join(dir, 'ckpt-00000002')));
  // A temp dir left by a killed process is not a checkpoint.
  mkdirSync(join(dir, 'ckpt-00000009.tmp-999'));
  writeFileSync(join(dir, 'ckpt-00000009.tmp-999', 'policy.safetensors'), 'partial');
  assert.ok(latestCheckpoint(dir)!.endsWith('ckpt-00000001'));
  const data = loadCheckpoint(latestCheckpoint(dir)!);
  assert.equal(Array.from(data.weights), [1, 2, 3]);
  assert.instance((data.learnerState as { a: Float32Array }).a, Float32Array);
  assert.equal(data.requested, ['x']);
  // The next save removes leftovers and keeps only `keep` checkpoints.
  for (const v of [3, 4, 5]) saveCheckpoint(dir, { version: v, weights: new Uint8Array([v]), learnerState: null, rewardState: null, requested: [], counters, rng: { seed: 1, tasks: 1 } }, 2);
  assert.equal(readdirSync(dir).sort(), ['ckpt-00000004', 'ckpt-00000005']);
  // An incomplete checkpoint directory is a clear error.
  mkdirSync(join(dir, 'ckpt-00000006'));
  assert.throws(() => loadCheckpoint(join(dir, 'ckpt-00000006')), /incomplete: policy.safetensors is missing/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
