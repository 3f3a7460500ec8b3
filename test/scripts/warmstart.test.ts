/**
 * `npm run warmstart`: --help, bad flags named without a stack trace, envs loaded by path (one with
 * demonstrate(), one without), and a tiny real warm start whose file `npm run eval` then evaluates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoStack, scriptRunner } from './fixtures/cli.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend, loadWeights } from '../../agents/index.ts';
import { evaluateTarget, loadEvalTarget } from '../../runner/eval/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'thrive-warmstart-'));
const run = scriptRunner('warmstart.ts');

test('--help prints the usage and every flag, exit 0', () => {
  const r = run('--help');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run warmstart -- --env <id \| \.\/path\/to\/env\.ts>/);
  for (const f of ['--env TEXT', '--target N', '--max-steps N', '--context TEXT', '--options JSON']) assert.ok(r.stdout.includes(f), f);
});

test('bad flags and values: a clear error naming the flag, exit 2', () => {
  const unknown = run('--env', 'Addition-v0', '--targt', '0.2');
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /^error: unknown flag --targt \(did you mean --target\?\)/);
  assertNoStack(unknown.stderr);
  const value = run('--env', 'Addition-v0', '--target', 'high');
  assert.is(value.status, 2);
  assert.match(value.stderr, /--target must be a number >= 0 and <= 1, got "high"/);
  const json = run('--env', 'Addition-v0', '--options', '{digits:2}');
  assert.is(json.status, 2);
  assert.match(json.stderr, /--options must be a JSON object/);
  const missing = run('--target', '0.2');
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /--env is required/);
  assertNoStack(missing.stderr);
});

test('an env by path: a game or an env without demonstrate() is refused, saying why', () => {
  const game = run('--env', './envs/examples/corridor.ts');
  assert.is(game.status, 1);
  assert.match(game.stderr, /is a games env: an SFT warm start trains a token policy/);
  const nodemo = run('--env', './test/scripts/fixtures/no-demo-env.ts');
  assert.is(nodemo.status, 1);
  assert.match(nodemo.stderr, /has no demonstrate\(\) method: .*must implement demonstrate\(\)/);
  assertNoStack(nodemo.stderr);
});

test('a tiny warm start of an env loaded by path, then evaluated from its file alone', async () => {
  const out = join(root, 'rev.safetensors');
  const env = './test/scripts/fixtures/reverse-env.ts';
  const r = run('--env', env, '--options', '{"maxLength":3}', '--demos', '32', '--max-steps', '3', '--eval-every', '1', '--select-episodes', '4',
    '--test-episodes', '8', '--layers', '1', '--width', '16', '--heads', '2', '--batch', '8', '--target', '1', '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(out));
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.is(last.env, env);
  assert.is(last.steps, 3, 'target 1 not reached: all 3 steps run');
  assert.is(last.testEpisodes, 8);
  const { metadata } = loadWeights(out);
  assert.is(metadata['thrive.warmstart.env'], env);
  assert.match(metadata['thrive.warmstart.command']!, /^npm run warmstart -- --env /);
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
  const t = loadEvalTarget(out);
  assert.is(t.envId, join(ROOT, 'test/scripts/fixtures/reverse-env.ts'));
  const ev = await evaluateTarget(t, { episodes: 8 });
  assert.is(ev.family, 'text');
  assert.is(ev.split, 'test');
  assert.is(ev.envOptions.maxLength, 3, 'the warm start’s env options');
  assert.equal(ev.passes.map((p) => [p.mode, p.episodes]), [['greedy', 8]]);
  t.policy.dispose();
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
