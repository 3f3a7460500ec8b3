import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { makeEnv, makeEnvSync, registerEnv, listEnvs, registeredEnvContext, validateEnvOptions, describeEnvOptions, checkEnv, Rng, Discrete, Box } from '../../envs/index.ts';

const CORRIDOR = './envs/examples/corridor.ts';

test('listEnvs has every built-in id with its family', () => {
  const byId = Object.fromEntries(listEnvs().map((e) => [e.id, e.family]));
  assert.equal(
    { KeyDoor: byId['KeyDoor-v0'], MultiRoom: byId['MultiRoom-v0'], Maze: byId['Maze-v0'], Addition: byId['Addition-v0'], Reverse: byId['Reverse-v0'], Sort: byId['Sort-v0'], ToolCalc: byId['ToolCalc-v0'], ToolLookup: byId['ToolLookup-v0'] },
    { KeyDoor: 'games', MultiRoom: 'games', Maze: 'games', Addition: 'text', Reverse: 'text', Sort: 'text', ToolCalc: 'tools', ToolLookup: 'tools' },
  );
});

test("every built-in env's registration (spec as data) states the family and goal its instances' spec does", () => {
  for (const { id, family, goal } of listEnvs()) {
    if (id.startsWith('Test-')) continue;
    const spec = makeEnvSync(id).spec;
    assert.is(spec.id, id);
    assert.is(spec.family, family, id);
    assert.is(spec.goal, goal, id);
    assert.equal(registeredEnvContext(id), { id, family, ...(goal ? { goal } : {}) });
  }
  for (const id of ['KeyDoor-v0', 'MultiRoom-v0', 'Maze-v0', 'Dungeon-v0', 'Addition-v0', 'Reverse-v0', 'Sort-v0', 'ToolCalc-v0', 'ToolLookup-v0']) {
    assert.ok((makeEnvSync(id).spec.goal ?? '').length > 10, `${id} states its goal`);
  }
  assert.is(registeredEnvContext('Nope-v0'), undefined);
});

test('unknown id: the error names it and lists the valid ids', async () => {
  assert.throws(() => makeEnvSync('Nope-v0'), /unknown env id 'Nope-v0'. Registered ids: .*KeyDoor-v0/);
  try { await makeEnv('Nope-v0'); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /Registered ids: .*Maze-v0/); }
});

test('validateEnvOptions fills defaults; describeEnvOptions documents them', () => {
  const o = validateEnvOptions('KeyDoor-v0', { size: 7 });
  assert.is(o.size, 7);
  assert.is(o.maxSteps, 112);
  assert.is(o.split, 'train');
  assert.ok(describeEnvOptions('Maze-v0').some((l) => l.startsWith('size: an integer >= 2')));
  assert.throws(() => validateEnvOptions('Addition-v0', { digit: 3 }), /unknown config key 'digit' \(did you mean 'digits'\?\). Valid keys: digits/);
});

test('registerEnv: custom factory, duplicate ids rejected unless overwrite', () => {
  registerEnv('Test-Corridor', (o) => makeEnvSync('KeyDoor-v0', o), { family: 'games', description: 'test' });
  assert.is(makeEnvSync('Test-Corridor', { size: 6 }).spec.id, 'KeyDoor-v0');
  assert.throws(() => registerEnv('Test-Corridor', () => makeEnvSync('Maze-v0')), /already registered/);
  registerEnv('Test-Corridor', () => makeEnvSync('Maze-v0'), { overwrite: true });
  assert.is(makeEnvSync('Test-Corridor').spec.id, 'Maze-v0');
  assert.throws(() => registerEnv('bad id!', () => makeEnvSync('Maze-v0')), /bad id/);
  registerEnv('Test-Goal', () => makeEnvSync('Sort-v0'), { family: 'text', goal: 'sort the letters' });
  assert.equal(registeredEnvContext('Test-Goal'), { id: 'Test-Goal', family: 'text', goal: 'sort the letters' });
  assert.equal(listEnvs().find((e) => e.id === 'Test-Goal'), { id: 'Test-Goal', family: 'text', description: '', goal: 'sort the letters' });
});

for (const [label, path] of [
  ['relative path', CORRIDOR],
  ['absolute path', resolve(CORRIDOR)],
  ['file URL', pathToFileURL(resolve(CORRIDOR)).href],
] as const) {
  test(`makeEnv loads a user env by ${label}, options validated, passes checkEnv`, async () => {
    const env = await makeEnv(path, { length: 10 });
    assert.ok(env.actionSpace instanceof Discrete);
    assert.ok(env.observationSpace instanceof Box);
    assert.is(env.spec.options.length, 10);
    const report = checkEnv(env);
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
    try { await makeEnv(path, { lenght: 10 }); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /unknown config key 'lenght' \(did you mean 'length'\?\)/); }
  });
}

test('makeEnv by path: a class default export, a missing file, a module without a default export', async () => {
  const env = await makeEnv('./test/envs/fixtures/class-env.ts', { maxSteps: 30 });
  assert.is(env.spec.options.length, 20);
  assert.is(env.spec.options.maxSteps, 30);
  assert.ok(checkEnv(env).ok);
  try { await makeEnv('./no/such/env.ts'); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /could not load env module '.\/no\/such\/env.ts'/); }
  try { await makeEnv('./test/envs/fixtures/no-default.ts'); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /must have a default export .*found exports: notAnEnv/); }
});

test('a worker thread makes the same env by path and plays the same seeded episode', async () => {
  const data = { path: CORRIDOR, options: { length: 9 }, seed: 4 };
  const fromWorker = await new Promise<{ obs: number[][]; total: number; id: string }>((resolveP, reject) => {
    const entry = new URL('./fixtures/worker-make-env.ts', import.meta.url).href;
    const w = new Worker(new URL('./fixtures/ts-worker-entry.mjs', import.meta.url), { workerData: { ...data, __entry: entry } });
    w.once('message', (m) => { if (m.error) reject(new Error(m.error)); else resolveP(m); void w.terminate(); });
    w.once('error', reject);
  });
  const env = await makeEnv(data.path, data.options);
  const rng = new Rng(data.seed);
  const obs: number[][] = [Array.from(env.reset({ seed: data.seed }).obs as Float32Array)];
  for (;;) {
    const s = env.step(env.actionSpace.sample(rng));
    obs.push(Array.from(s.obs as Float32Array));
    if (s.terminated || s.truncated) break;
  }
  assert.is(fromWorker.id, 'Corridor');
  assert.equal(fromWorker.obs, obs);
});

test.run();
