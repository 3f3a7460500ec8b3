/**
 * thrive as a package: a script in a temporary folder outside the repository imports `thrive`,
 * `thrive/envs`, `thrive/agents` and `thrive/rewards` through package.json `exports` (the folder's
 * node_modules/thrive links to this checkout, as `npm install /path/to/thrive` would) and runs a
 * short experiment with tsx.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'thrive-outside-'));

test('a script outside the repo imports the subpaths and runs an experiment', () => {
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repo, join(dir, 'node_modules', 'thrive'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-study', type: 'module', private: true }));
  writeFileSync(join(dir, 'study.ts'), `
import { runExperiment, getExperiment } from 'thrive';
import { makeEnv } from 'thrive/envs';
import { GrpoLearner } from 'thrive/agents';
import { RubricJudge } from 'thrive/rewards';

const env = await makeEnv('KeyDoor-v0', { size: 5 });
const { obs } = env.reset({ seed: 3 });
const r = await runExperiment(
  { ...getExperiment('keydoor-ext'), name: 'outside', budget: { updates: 2 }, logging: { dir: './runs', progress: false }, server: { enabled: false } },
  { quiet: true },
);
console.log(JSON.stringify({ obsLength: (obs as Float32Array).length, learner: typeof GrpoLearner, judge: typeof RubricJudge, status: r.status, updates: r.summary.updates }));
`);
  const out = execFileSync(join(repo, 'node_modules', '.bin', 'tsx'), ['study.ts'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  const res = JSON.parse(out.trim().split('\n').at(-1)!);
  assert.ok(res.obsLength > 0);
  assert.is(res.learner, 'function');
  assert.is(res.judge, 'function');
  assert.is(res.status, 'completed');
  assert.is(res.updates, 2);
  assert.is(readdirSync(join(dir, 'runs')).length, 1, 'the run directory is the script folder\'s');
});

test('cleanup', () => { rmSync(dir, { recursive: true, force: true }); });

test.run();
