import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeEnvSync, type TokenEnv } from '../../envs/index.ts';
import { initBackend, policyFromCheckpoint, loadWeights, evaluateTokenPolicy, TokenPolicy } from '../../agents/index.ts';

const dir = new URL('../../agents/checkpoints/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
});

test('warm-start checkpoints ship for Addition-v0 and ToolCalc-v0', () => {
  const envs = files.map((f) => loadWeights(join(dir, f)).metadata['thrive.warmstart.env']);
  for (const id of ['Addition-v0', 'ToolCalc-v0']) assert.ok(envs.includes(id), `no checkpoint for ${id} in ${files.join(', ')}`);
});

for (const file of files) {
  test(`${file}: rebuilds its policy, is small, and solves some held-out problems greedily`, () => {
    const path = join(dir, file);
    const { metadata } = loadWeights(path);
    const policy = policyFromCheckpoint(path);
    assert.instance(policy, TokenPolicy);
    assert.ok(policy.parameterCount * 4 < 4 * 1024 * 1024, 'a few MB at most');
    const env = metadata['thrive.warmstart.env']!;
    const options = JSON.parse(metadata['thrive.warmstart.envOptions'] ?? '{}');
    const recorded = Number(metadata['thrive.warmstart.testSuccess']);
    // Deliberately weak warm starts (file name '…-weak-…', for studies of when shaping matters) aim lower.
    const lo = /-weak-/.test(file) ? 0.02 : 0.1;
    assert.ok(recorded >= lo && recorded <= 0.5, `recorded held-out success ${recorded} outside the ${lo * 100}–50% aim`);
    assert.match(metadata['thrive.warmstart.command']!, /^(tsx scripts\/warmstart\.ts|npm run warmstart --) --env /);
    // A small independent re-measurement on the held-out split (seeds differ from the recorded run).
    const envs = Array.from({ length: 8 }, () => makeEnvSync<TokenEnv>(env, { ...options, split: 'test' }));
    const stats = evaluateTokenPolicy(policy as TokenPolicy, envs, { episodes: 60, seed0: 123_000 });
    assert.ok(stats.successRate > 0.02 && stats.successRate < 0.8, `${env}: greedy success ${stats.successRate} on 60 held-out episodes`);
    policy.dispose();
  });
}

test.run();
