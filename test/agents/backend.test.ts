import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { parseBackendName, BACKEND_NAMES } from '../../agents/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const run = (code: string, env: Record<string, string> = {}) =>
  execFileSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

test('parseBackendName accepts aliases and names the valid ones otherwise', () => {
  assert.is(parseBackendName('WASM'), 'wasm');
  assert.is(parseBackendName('tensorflow'), 'tfjs-node');
  assert.throws(() => parseBackendName('webgpu'), (e: Error) => e.message.includes("'webgpu'") && BACKEND_NAMES.every((n) => e.message.includes(n)));
});

const probe = `import { initBackend } from './agents/index.ts'; import * as tf from '@tensorflow/tfjs';
const a = await initBackend(); await initBackend(); console.log('CHOSE', a, tf.getBackend());`;

test('default picks the best loadable backend (wasm here: tfjs-node is not installable) and announces it once', () => {
  const out = run(probe, { THRIVE_BACKEND: '' });
  assert.match(out, /CHOSE wasm wasm/);
  assert.is(out.split('\n').filter((l) => l.includes('tfjs backend:')).length, 1);
});

test('THRIVE_BACKEND forces a backend; THRIVE_BACKEND_QUIET silences the line', () => {
  const out = run(probe, { THRIVE_BACKEND: 'cpu', THRIVE_BACKEND_QUIET: '1' });
  assert.match(out, /CHOSE cpu cpu/);
  assert.not.match(out, /tfjs backend:/);
});

test('a forced backend that cannot load is an error, not a silent fallback', () => {
  const out = run(`import { initBackend } from './agents/index.ts';
    try { await initBackend('tfjs-node'); console.log('LOADED'); } catch (e) { console.log('ERR', e.message); }`);
  // tfjs-node cannot be installed on this machine; if it ever is, loading it is also correct.
  assert.ok(/ERR backend 'tfjs-node' was forced but could not be initialised/.test(out) || /LOADED/.test(out), out);
});

test('each worker thread initialises its own backend', () => {
  const out = run(`import { Worker } from 'node:worker_threads';
    const w = new Worker('./test/agents/fixtures/backend-worker.mjs', { workerData: 'cpu' });
    const fromWorker = new Promise((resolve) => w.once('message', resolve)); // listen before awaiting anything
    const { initBackend } = await import('./agents/index.ts'); const tf = await import('@tensorflow/tfjs');
    await initBackend('wasm');
    console.log('WORKER', await fromWorker, 'MAIN', tf.getBackend()); await w.terminate();`, { THRIVE_BACKEND_QUIET: '1' });
  assert.match(out, /WORKER cpu MAIN wasm/);
});

test.run();
