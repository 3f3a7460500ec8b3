/**
 * learner.temperature end to end: the actors sample from softmax(logits / T) and record its log-probs, the
 * learner scores the same distribution. In lockstep the first update's rollouts come from the learner's own
 * weights (version 0), so its importance ratio must be 1 — unless actor and learner disagree on T.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { actorInit } from '../../runner/actor/init.ts';
import { resolveExperiment } from '../../runner/resolve.ts';
import { validateExperimentConfig } from '../../runner/config.ts';
import { SharedWeights } from '../../runner/transport/shared-weights.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-temperature-'));
const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const cases: Array<[string, Record<string, unknown>]> = [
  ['game policy (KeyDoor-v0)', {
    env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 4 },
    // The game policy's logits are small at init (entropy ≈ ln 4), so a T mismatch moves the ratio by only
    // ~6e-4 here: hence the tight tolerances below (a correct run gives exactly 1 and 0).
    policy: { hidden: [16] },
  }],
  ['token policy (Addition-v0 from the SFT warm start)', {
    env: { id: 'Addition-v0', options: {}, groupSize: 4 },
    policy: { checkpoint: 'agents/checkpoints/addition-v0.safetensors' },
  }],
];

for (const [name, over] of cases) {
  test(`temperature 0.7, ${name}: the first update's ratioMean is 1 (actor and learner score the same distribution)`, async () => {
    const r = await runExperiment({
      name: 'temperature', seed: 3, rewards: null, groupsPerUpdate: 2, budget: { updates: 2 },
      learner: { temperature: 0.7, thr: { p: 0 } },
      actors: { workers: 1, groupsPerTask: 1, pipeline: 'lockstep' },
      logging: { dir: root, checkpointEvery: 0, episodeEvery: 0 }, server: { enabled: false },
      ...over,
    }, { quiet: true });
    assert.is(r.status, 'completed');
    const cfg = JSON.parse(readFileSync(join(r.runDir, 'config.json'), 'utf8'));
    assert.is(cfg.learner.temperature, 0.7, 'the resolved config records the temperature');
    const m = readJsonl(join(r.runDir, 'metrics.jsonl'));
    const first = m[0];
    assert.type(first.learner_ratioMean, 'number');
    assert.ok(Math.abs(first.learner_ratioMean - 1) < 1e-4, `ratioMean ${first.learner_ratioMean}`);
    assert.ok(Math.abs(first.learner_klOld) < 1e-6, `klOld ${first.learner_klOld}`);
  });
}

test('one temperature: actors sample at learner.temperature; top-k / top-p do not exist as options', async () => {
  const r = await resolveExperiment({ env: { id: 'KeyDoor-v0' }, budget: { updates: 1 }, learner: { temperature: 0.7 } });
  const init = actorInit(r, { key: 'k', weights: SharedWeights.create(1024).handle });
  assert.is(init.temperature, 0.7);
  try {
    await resolveExperiment({ env: { id: 'KeyDoor-v0' }, budget: { updates: 1 }, learner: { topK: 5 } });
    assert.unreachable('learner.topK must be rejected');
  } catch (err) {
    assert.match((err as Error).message, /topK/);
  }
  // Validated once, as learner.temperature, before any run directory exists.
  assert.throws(() => validateExperimentConfig({ env: { id: 'KeyDoor-v0' }, budget: { updates: 1 }, learner: { temperature: 0 } }), /'learner\.temperature' must be a number > 0/);
});

test('cleanup', () => { rmSync(root, { recursive: true, force: true }); });

test.run();
