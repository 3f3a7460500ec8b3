/**
 * The env's spec is the one source of what the judges know of it: the runner builds the EnvContext
 * (id, family, goal) from the probed env and every judge of the run gets it — a plug-in env needs no
 * registration for the LLM prompt to state its goal in its family's wording, and the pre-run check warns
 * when the rubric has no rules written for the env.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExperiment } from '../../runner/resolve.ts';
import { runExperiment } from '../../runner/experiment.ts';
import { createRunAnnotator } from '../../runner/annotation.ts';
import { listEnvs } from '../../envs/index.ts';
import { startStandInServer } from '../../rewards/index.ts';
import { RIDDLE_GOAL } from './fixtures/riddle-env.ts';

const RIDDLE = './test/runner/fixtures/riddle-env.ts';
const config = (envId: string, judge: Record<string, unknown>) => ({
  env: { id: envId, groupSize: 2 }, budget: { updates: 1 }, server: { enabled: false },
  rewards: { judge, annotator: { cacheDir: null } },
});

test('a plug-in text env: its goal and the text wording reach the LLM prompt, with no registration; the oracle labels by the family', async () => {
  assert.not.ok(listEnvs().some((e) => e.id === 'Riddle-v0'), 'the fixture is not registered');
  const s = await startStandInServer();
  try {
    const r = await resolveExperiment(config(RIDDLE, { kind: 'llm', baseUrl: s.url, model: 'standin', apiKeyEnv: 'THRIVE_TEST_NO_KEY', retries: 0 }));
    assert.equal(r.envContext, { id: 'Riddle-v0', family: 'text', goal: RIDDLE_GOAL });
    assert.equal(r.warnings, []);
    const annotator = (await createRunAnnotator(r))!;
    const right = 'Answered "7": correct.', wrong = 'Answered "8", expected "7": wrong.';
    annotator.request([right, wrong].map((caption) => ({ key: `${r.envRef}:${caption}`, envId: r.envRef, caption })));
    await annotator.idle();
    const labels = annotator.drainLabels();
    await annotator.close();
    assert.equal(Object.fromEntries(labels.map((l) => [l.caption, l.label])), { [right]: 1, [wrong]: 0 });
    const system = (s.bodies[0] as { messages: Array<{ role: string; content: string }> }).messages[0]!;
    assert.is(system.role, 'system');
    assert.ok(system.content.startsWith('You judge the progress of an agent in a text task solved by a language model. '), system.content);
    assert.ok(system.content.includes(`The agent's task: ${RIDDLE_GOAL}. You are shown one completion written by the agent.`), system.content);
    assert.not.match(system.content, r.envRef, 'the path the env was loaded from is no part of the prompt');
  } finally {
    await s.close();
  }
});

test("pre-run check: the rubric on an env it has no rules for warns, naming what is valid; built-in envs don't", async () => {
  const r = await resolveExperiment(config(RIDDLE, { kind: 'rubric' }));
  assert.equal(r.warnings.map((w) => w.id), ['rubric-env']);
  for (const part of ["'rewards.judge.kind' is 'rubric'", "'Riddle-v0'", "family 'text'", 'outcome messages', "'llm' judge", 'registerJudge']) {
    assert.ok(r.warnings[0]!.message.includes(part), `${part} in: ${r.warnings[0]!.message}`);
  }
  const shuffled = await resolveExperiment(config(RIDDLE, { kind: 'shuffled', inner: { kind: 'rubric' } }));
  assert.match(shuffled.warnings[0]!.message, "'rewards.judge.inner.kind' is 'rubric'");
  const game = await resolveExperiment(config('./test/runner/fixtures/faulty-env.ts', { kind: 'rubric' }));
  assert.match(game.warnings[0]!.message, "a 'perceptual' judge");
  for (const id of ['KeyDoor-v0', 'Dungeon-v0', 'Sort-v0', 'ToolMix-v0']) {
    const b = await resolveExperiment(config(id, { kind: 'rubric' }));
    assert.equal(b.warnings, [], id);
    assert.is(b.envContext.id, id);
  }
  const kd = await resolveExperiment(config('KeyDoor-v0', { kind: 'rubric' }));
  assert.equal(kd.envContext, { id: 'KeyDoor-v0', family: 'games', goal: listEnvs().find((e) => e.id === 'KeyDoor-v0')!.goal });
});

test('a run raises the pre-run warning once at the start: an event and a line of summary.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-envctx-'));
  try {
    const r = await runExperiment({
      ...config('./test/runner/fixtures/faulty-env.ts', { kind: 'rubric' }), policy: { hidden: [8] }, groupsPerUpdate: 1,
      actors: { workers: 1, groupsPerTask: 1 }, logging: { dir, checkpointEvery: 0, episodeEvery: 0 },
    }, { quiet: true });
    assert.is(r.status, 'completed');
    const events = readFileSync(join(r.runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; warning?: string });
    assert.equal(events.filter((e) => e.kind === 'warning').map((e) => e.warning), ['rubric-env']);
    const summary = JSON.parse(readFileSync(join(r.runDir, 'summary.json'), 'utf8')) as { warnings: string[] };
    assert.ok(summary.warnings.some((w) => w.includes("'FaultyCorridor'") && w.includes("'perceptual'")), JSON.stringify(summary.warnings));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
