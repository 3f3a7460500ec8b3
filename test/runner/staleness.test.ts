/**
 * Policy lag in the 'free' pipeline: actors run ahead with the newest weights they have; rollouts whose
 * lag exceeds actors.maxStaleness are dropped (or down-weighted) and counted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import type { ExperimentConfigInput } from '../../runner/config.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-stale-'));
const config = (actors: ExperimentConfigInput['actors']): ExperimentConfigInput => ({
  name: 'stale', seed: 11,
  env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 12 }, groupSize: 4 },
  policy: { hidden: [8] }, groupsPerUpdate: 1, budget: { updates: 12 },
  actors: { workers: 2, groupsPerTask: 1, pipeline: 'free', queueCapacity: 6, ...actors },
  logging: { dir: root, checkpointEvery: 0, episodeEvery: 0 }, server: { enabled: false },
});

for (const mode of ['drop', 'downweight'] as const) {
  test(`maxStaleness 0, ${mode}: stale rollouts are ${mode === 'drop' ? 'dropped' : 'down-weighted'} and counted`, async () => {
    const r = await runExperiment(config({ maxStaleness: 0, staleMode: mode }), { quiet: true });
    assert.is(r.status, 'completed');
    const last = r.metrics.at(-1)!;
    assert.ok(r.metrics.some((m) => m.policyLagMax > 0), 'actors ran ahead of the learner (lag > 0 seen)');
    if (mode === 'drop') {
      assert.ok(last.staleDropped > 0, `stale rollouts dropped (${last.staleDropped})`);
      assert.is(last.staleDownweighted, 0);
    } else {
      assert.ok(last.staleDownweighted > 0, `stale rollouts down-weighted (${last.staleDownweighted})`);
      assert.is(last.staleDropped, 0);
    }
  });
}

test('a generous maxStaleness keeps everything', async () => {
  const r = await runExperiment(config({ maxStaleness: 1000 }), { quiet: true });
  assert.is(r.metrics.at(-1)!.staleDropped, 0);
  assert.is(r.metrics.reduce((s, m) => s + m.episodes, 0), 12 * 4);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
