/**
 * "Check everything before a run directory exists": each bad config below makes runExperiment fail with a
 * ConfigError naming the key, and leaves logging.dir without any run directory (nor probe leftovers).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment, type RunOptions } from '../../runner/experiment.ts';
import { resolveExperiment } from '../../runner/resolve.ts';
import type { ExperimentConfigInput } from '../../runner/config.ts';
import { checkWritableDir } from '../../runner/writable.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-prerun-'));
const aFile = join(root, 'a-file');
writeFileSync(aFile, 'not a directory');

const logs = (name: string) => join(root, name);
const base = (dir: string): ExperimentConfigInput => ({
  name: 'prerun', env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 10 }, groupSize: 2 }, policy: { hidden: [8] },
  groupsPerUpdate: 2, budget: { updates: 1 }, actors: { groupsPerTask: 1 }, rewards: null,
  logging: { dir, checkpointEvery: 0, episodeEvery: 0 }, server: { enabled: false },
});

const cases: Array<[string, (dir: string) => ExperimentConfigInput, RunOptions, string[]]> = [
  ['queueCapacity below the messages of one update', (d) => ({ ...base(d), groupsPerUpdate: 4, actors: { groupsPerTask: 1, queueCapacity: 3 } }), {},
    ["'actors.queueCapacity' (3)", '4 / 1 = 4']],
  ['maxStaleness 0 with lockstep', (d) => ({ ...base(d), actors: { groupsPerTask: 1, pipeline: 'lockstep', maxStaleness: 0 } }), {},
    ["'actors.maxStaleness'", "'lockstep'", "'free'"]],
  ['transport redis given to the in-process runner', (d) => ({ ...base(d), transport: { kind: 'redis', url: 'redis://127.0.0.1:6379' } }), {},
    ["'transport.kind'", 'scripts/learner.ts', 'scripts/actor.ts', 'scripts/annotator.ts']],
  ['an unknown --backend', (d) => base(d), { backend: 'webgpu' },
    ['--backend', "'webgpu'", 'wasm', 'cpu']],
  ['logging.dir is a file', () => base(aFile), {},
    ["'logging.dir'", 'not a directory']],
  ['logging.dir under a file', () => base(join(aFile, 'runs')), {},
    ["'logging.dir'", 'not a directory']],
  ['rewards.annotator.cacheDir under a file', (d) => ({ ...base(d), rewards: { judge: { kind: 'rubric' }, annotator: { cacheDir: join(aFile, 'cache') } } }), {},
    ["'rewards.annotator.cacheDir'", 'not a directory']],
  ['non-loopback host without a token', (d) => ({ ...base(d), server: { enabled: true, host: '0.0.0.0' } }), {},
    ["'server.host'", 'not loopback', 'token']],
  ['a short token', (d) => ({ ...base(d), server: { enabled: true, token: 'abc' } }), {},
    ["'server.token'", 'at least 16', 'got 3 characters']],
  ['--host 0.0.0.0 without --token', (d) => ({ ...base(d), server: { enabled: true } }), { server: { host: '0.0.0.0' } },
    ["'server.host'", 'not loopback']],
  ['a policy too large to allocate', (d) => ({ ...base(d), policy: { hidden: [100000, 100000] } }), {},
    ["'policy.hidden' [100000,100000]", 'parameters', 'limit is 50,000,000']],
  ['a bad env option', (d) => ({ ...base(d), env: { id: 'KeyDoor-v0', options: { sise: 5 } } }), {},
    ["'env.options.sise'", "'env.options.size'"]],
];

for (const [name, make, opts, parts] of cases) {
  test(`before any run directory: ${name}`, async () => {
    const dir = logs(name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    let err: Error | undefined;
    try {
      await runExperiment(make(dir), { quiet: true, ...opts });
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err, 'expected an error');
    assert.is(err!.name, 'ConfigError', err!.stack);
    for (const p of parts) assert.ok(err!.message.includes(p), `message '${err!.message}' should mention '${p}'`);
    assert.equal(readdirSync(dir), [], 'no run directory (and no probe) was left in logging.dir');
  });
}

test('the directory probe leaves nothing behind, not even a directory it would create', async () => {
  const missing = join(root, 'not', 'yet');
  const r = await resolveExperiment({ ...base(missing), rewards: { annotator: { cacheDir: join(root, 'cache-to-be') } } });
  assert.is(r.config.logging.dir, missing);
  assert.not.ok(existsSync(join(root, 'not')), 'logging.dir was not created by the check');
  assert.not.ok(existsSync(join(root, 'cache-to-be')), 'cacheDir was not created by the check');
  const existing = logs('existing');
  mkdirSync(existing);
  checkWritableDir(existing, 'logging.dir');
  assert.equal(readdirSync(existing), []);
});

test('cleanup', () => { rmSync(root, { recursive: true, force: true }); });

test.run();
