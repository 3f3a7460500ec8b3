import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeEnvSync, type TokenEnv } from '../../envs/index.ts';
import { initBackend, policyFromCheckpoint, loadWeights, evaluateTokenPolicy, correctAnswerMass, TokenPolicy } from '../../agents/index.ts';

const dir = new URL('../../agents/checkpoints/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();

test.before(async () => {
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
});

// Countdown-v0's warm start (the THR outcome suite's) is not shipped yet: its suite says how to make it.
test('warm-start checkpoints ship for Addition-v0, ToolCalc-v0 and EitherSort-v0', () => {
  const envs = files.map((f) => loadWeights(join(dir, f)).metadata['thrive.warmstart.env']);
  for (const id of ['Addition-v0', 'ToolCalc-v0', 'EitherSort-v0']) assert.ok(envs.includes(id), `no checkpoint for ${id} in ${files.join(', ')}`);
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
    assert.match(metadata['thrive.warmstart.command']!, /^(tsx scripts\/warmstart\.ts|npm run warmstart --) --env /);
    const envs = Array.from({ length: 8 }, () => makeEnvSync<TokenEnv>(env, { ...options, split: 'test' }));
    const mix = metadata['thrive.warmstart.answerMix'];
    if (mix) {
      // A warm start that favours one of several correct answers: its aim is the split, not partial success.
      // Re-measured on held-out problems (seeds differ from the recorded run): the favoured answer's share of
      // the probability on correct answers is near its share of the SFT data.
      const w = JSON.parse(mix) as number[];
      const want = w[0]! / w.reduce((a, b) => a + b, 0);
      const mass = correctAnswerMass(policy as TokenPolicy, envs[0]!, Array.from({ length: 40 }, (_, i) => 123_000 + i))!;
      const share = mass.reduce((s, m) => s + m[0]!, 0) / mass.reduce((s, m) => s + m.reduce((a, b) => a + b, 0), 0);
      assert.ok(Math.abs(share - want) < 0.1, `${env}: favoured answer's share of the correct mass ${share.toFixed(3)}, SFT mix ${want}`);
      policy.dispose();
      return;
    }
    // Deliberately weak warm starts (file name '…-weak-…', for studies of when shaping matters) aim lower.
    const lo = /-weak-/.test(file) ? 0.02 : 0.1;
    assert.ok(recorded >= lo && recorded <= 0.5, `recorded held-out success ${recorded} outside the ${lo * 100}–50% aim`);
    // A small independent re-measurement on the held-out split (seeds differ from the recorded run).
    const stats = evaluateTokenPolicy(policy as TokenPolicy, envs, { episodes: 60, seed0: 123_000 });
    assert.ok(stats.successRate > 0.02 && stats.successRate < 0.8, `${env}: greedy success ${stats.successRate} on 60 held-out episodes`);
    policy.dispose();
  });
}

test.run();
