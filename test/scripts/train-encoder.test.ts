/**
 * `npm run train-encoder`: --help, bad flags named without a stack trace, and a tiny real run on Dungeon-v0
 * (its describe() captions) whose saved encoder the perceptual judge then loads and scores frames with.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertNoStack, scriptRunner } from './fixtures/cli.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agents/index.ts';
import { makeEnvSync } from '../../envs/index.ts';
import { CONTRASTIVE_DEFAULTS, PerceptualJudge, TRAIN_ENCODER_DEFAULTS, validateJudgeConfig, type PerceptualJudgeConfig } from '../../rewards/index.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-train-encoder-'));
const run = scriptRunner('train-encoder.ts');

test('--help prints the usage and every flag, exit 0', () => {
  const r = run('--help');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run train-encoder -- --env <game env id>/);
  for (const f of ['--env TEXT', '--steps N', '--held-out-levels N', '--captions all|messages', '--options JSON']) assert.ok(r.stdout.includes(f), f);
});

test("--help states the library's own defaults (rewards' TRAIN_ENCODER_DEFAULTS, CONTRASTIVE_DEFAULTS)", () => {
  const help = run('--help').stdout;
  const d = TRAIN_ENCODER_DEFAULTS, c = CONTRASTIVE_DEFAULTS;
  const flagDefault = (flag: string) => new RegExp(`^  ${flag} \\S+ .*\\(default "?([^)"]+)"?\\)\\.?$`, 'm').exec(help)?.[1];
  assert.equal(
    ['--steps', '--seed', '--levels', '--held-out-levels', '--log-every', '--captions', '--batch', '--lr', '--dim'].map(flagDefault),
    [d.steps, d.seed, d.levels, d.heldOutLevels, d.logEvery, d.captions, c.batchSize, c.learningRate, c.dim].map(String),
  );
});

test('bad flags and values: a clear error naming the flag, exit 2', () => {
  const unknown = run('--env', 'Dungeon-v0', '--stepz', '3');
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /^error: unknown flag --stepz \(did you mean --steps\?\)/);
  assertNoStack(unknown.stderr);
  const value = run('--env', 'Dungeon-v0', '--captions', 'some');
  assert.is(value.status, 2);
  assert.match(value.stderr, /--captions must be one of/);
  const missing = run('--steps', '3');
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /--env is required/);
  assertNoStack(missing.stderr);
});

test('a tiny run on Dungeon-v0 saves an encoder the perceptual judge loads, with goals in words', async () => {
  const out = join(root, 'enc');
  const r = run('--env', 'Dungeon-v0', '--steps', '6', '--log-every', '3', '--levels', '3', '--held-out-levels', '2', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { env: string; steps: number; envOptions: Record<string, unknown> };
  assert.equal([last.env, last.steps, last.envOptions.tileSize], ['Dungeon-v0', 6, 4]);
  for (const f of ['model.json', 'text-model.json', 'training.json']) assert.ok(existsSync(join(out, f)), f);
  const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')) as { data: { descriptions: number } };
  assert.ok(training.data.descriptions > 1, 'Dungeon-v0 describe() gives several full descriptions');
  await initBackend();
  const judge = await PerceptualJudge.create(validateJudgeConfig({
    kind: 'perceptual', encoder: { kind: 'tfjs', path: join(out, 'model.json') }, mode: 'goal-baseline', output: 'score',
    goalText: ['the agent has claimed the treasure'], baselineText: ['the agent is in the first room'],
  }) as PerceptualJudgeConfig);
  const env = makeEnvSync('Dungeon-v0', { tileSize: 4 }) as unknown as { reset(a: { seed: number }): unknown; render(): import('../../envs/index.ts').Frame };
  env.reset({ seed: 1 });
  const scores = await judge.scoreFrames([env.render()]);
  assert.is(scores.length, 1);
  assert.ok(Number.isFinite(scores[0]!) && scores[0]! >= -1 && scores[0]! <= 1, String(scores[0]));
  await judge.close();
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
