import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateExperimentConfig, ConfigError } from '../../runner/config.ts';
import { parseArgs } from '../../runner/cli.ts';
import { resolveExperiment } from '../../runner/resolve.ts';
import { EXPERIMENTS } from '../../runner/experiments/index.ts';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = { env: { id: 'KeyDoor-v0' }, budget: { updates: 1 } };

function throwsWith(fn: () => unknown, ...parts: string[]) {
  try {
    fn();
  } catch (err) {
    assert.instance(err, Error);
    for (const p of parts) assert.ok((err as Error).message.includes(p), `message '${(err as Error).message}' should mention '${p}'`);
    return;
  }
  assert.unreachable('expected an error');
}

test('defaults are filled', () => {
  const c = validateExperimentConfig(base);
  assert.is(c.env.groupSize, 8);
  assert.is(c.actors.workers, 1);
  assert.is(c.actors.pipeline, 'lockstep');
  assert.is(c.server.host, '127.0.0.1');
  assert.is(c.rewards, null);
});

test('unknown keys are named with their path and the valid keys listed', () => {
  throwsWith(() => validateExperimentConfig({ ...base, bogus: 1 }), "'bogus'", 'Valid keys', 'budget');
  throwsWith(() => validateExperimentConfig({ ...base, actors: { wrokers: 2 } }), "'actors.wrokers'", 'workers');
  throwsWith(() => validateExperimentConfig({ ...base, budget: { updates: 1, minutes: 3 } }), "'budget.minutes'");
});

for (const [key, value, expect] of [
  ['actors.workers', 0, 'integer >= 1'],
  ['actors.pipeline', 'fast', "'lockstep', 'free'"],
  ['env.groupSize', 1.5, 'integer'],
  ['seed', -1, '>= 0'],
  ['server.port', 70000, '<= 65535'],
  ['logging.progress', 'yes', 'true or false'],
] as const) {
  test(`bad value ${key}=${JSON.stringify(value)} is rejected`, () => {
    const cfg = structuredClone(base) as Record<string, any>;
    const [a, b] = key.split('.');
    if (b) cfg[a] = { ...(cfg[a] ?? {}), [b]: value };
    else cfg[a] = value;
    throwsWith(() => validateExperimentConfig(cfg), `'${key}'`, expect);
  });
}

test('a budget is required, env.id is required', () => {
  throwsWith(() => validateExperimentConfig({ env: { id: 'KeyDoor-v0' } }), 'budget');
  throwsWith(() => validateExperimentConfig({ budget: { updates: 1 } }), "'env.id'");
});

test('groupsPerUpdate must be a multiple of groupsPerTask', () => {
  throwsWith(() => validateExperimentConfig({ ...base, groupsPerUpdate: 3, actors: { groupsPerTask: 2 } }), 'groupsPerUpdate', 'multiple');
});

test('errors are ConfigError', () => {
  try { validateExperimentConfig({ ...base, x: 1 }); } catch (e) { assert.instance(e, ConfigError); }
});

test('CLI: named experiment, dotted overrides parsed as JSON, server flags', () => {
  const a = parseArgs(['--experiment', 'keydoor-ext', '--learner.thr.p', '0.5', '--env.options.size', '9', '--no-server', '--port', '0', '--name', 'x']);
  assert.is((a.config.learner as any).thr.p, 0.5);
  assert.is((a.config.env as any).options.size, 9);
  assert.is((a.config.env as any).id, 'KeyDoor-v0');
  assert.is(a.config.name, 'x');
  assert.is(a.server.enabled, false);
  assert.is(a.server.port, 0);
  throwsWith(() => parseArgs(['--experiment', 'nope']), "unknown experiment 'nope'", 'keydoor-thr');
  throwsWith(() => parseArgs(['stray']), "unexpected argument 'stray'");
});

test('CLI: --config FILE (alone, or merged over --experiment), bad files named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-cli-'));
  const file = join(dir, 'my.json');
  writeFileSync(file, JSON.stringify({ env: { id: './my-env.ts' }, budget: { seconds: 5 } }));
  const a = parseArgs(['--config', file, '--seed', '4']);
  assert.equal(a.config, { env: { id: './my-env.ts' }, budget: { seconds: 5 }, seed: 4 });
  const b = parseArgs(['--experiment', 'keydoor-thr', '--config', file]);
  assert.is((b.config.env as any).id, './my-env.ts');
  assert.is((b.config.env as any).groupSize, 8, 'named experiment values kept where the file is silent');
  writeFileSync(file, '{ not json');
  throwsWith(() => parseArgs(['--config', file]), `'${file}'`);
  throwsWith(() => parseArgs(['--config', join(dir, 'missing.json')]), 'missing.json');
  rmSync(dir, { recursive: true, force: true });
});

test('every named experiment validates', () => {
  for (const [name, cfg] of Object.entries(EXPERIMENTS)) {
    try { validateExperimentConfig(cfg); } catch (e) { assert.unreachable(`${name}: ${(e as Error).message}`); }
  }
});

test("resolution: learner.maxCompletionLength (dr_grpo's L_max) defaults to the env's episode limit, a given value is kept", async () => {
  const filled = await resolveExperiment({ ...base, env: { id: 'KeyDoor-v0', options: { size: 6, maxSteps: 30 } }, learner: { lossType: 'dr_grpo' } });
  assert.is(filled.maxEpisodeSteps, 30);
  assert.is(filled.config.learner.maxCompletionLength, 30);
  assert.is(filled.config.learner.lossType, 'dr_grpo');
  const given = await resolveExperiment({ ...base, env: { id: 'KeyDoor-v0', options: { size: 6, maxSteps: 30 } }, learner: { maxCompletionLength: 12 } });
  assert.is(given.config.learner.maxCompletionLength, 12);
});

test('resolution: sub-configs are validated by their rooms, with the section named', async () => {
  const r = await resolveExperiment({ ...base, env: { id: 'KeyDoor-v0', options: { size: 6 } } });
  assert.is(r.config.policy.kind, 'game');
  if (r.config.policy.kind === 'game') {
    assert.equal(r.config.policy.numActions, 4);
    assert.ok(Array.isArray(r.config.policy.obsShape));
  }
  assert.is(r.family, 'games');
  assert.is(r.config.env.options.size, 6);
  for (const [cfg, part] of [
    [{ ...base, learner: { nope: 1 } }, 'learner'],
    [{ ...base, policy: { hidden: 'x' } }, 'policy'],
    [{ ...base, rewards: { cInt: 'a lot' } }, 'rewards'],
    [{ ...base, env: { id: 'NoSuchEnv-v0' } }, 'NoSuchEnv-v0'],
  ] as const) {
    try {
      await resolveExperiment(cfg);
      assert.unreachable(`expected an error for ${JSON.stringify(cfg)}`);
    } catch (e) {
      assert.ok((e as Error).message.includes(part), (e as Error).message);
    }
  }
});

test('CLI --resume: only the given overrides travel (no default experiment), and it cannot be combined with --experiment/--config', () => {
  const a = parseArgs(['--resume', 'runs/x-1', '--budget.updates', '9']);
  assert.is(a.resume, 'runs/x-1');
  assert.equal(a.config, { budget: { updates: 9 } });
  assert.throws(() => parseArgs(['--resume', 'runs/x-1', '--experiment', 'keydoor-ext']), /cannot be combined with --experiment or --config/);
  assert.throws(() => parseArgs(['--resume']), /--resume needs a run directory/);
});

test.run();
