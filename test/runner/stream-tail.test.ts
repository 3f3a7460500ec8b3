/** scripts/tail.ts, run as a real process against a real server. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { MetricsHub, startStreamServer } from '../../runner/stream/index.ts';

const root = new URL('../../', import.meta.url).pathname;

function tail(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/tail.ts', ...args], { cwd: root, env: { ...process.env, ...env, THRIVE_TOKEN: env.THRIVE_TOKEN ?? '' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  const waitOut = async (re: RegExp, ms = 15000) => {
    const t0 = Date.now();
    while (!re.test(out)) {
      if (Date.now() - t0 > ms) throw new Error(`tail never printed ${re}; stdout: ${out} stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { done, waitOut, out: () => out, err: () => err };
}

test('tails history and live messages, exits 0 when the run ends', async () => {
  const hub = new MetricsHub();
  hub.publish('metrics', { step: 1, time: 0, envSteps: 8, loss: 0.25 });
  const server = await startStreamServer({ hub, runName: 'tailed' });
  const t = tail([server.url]); // an http:// URL is accepted and turned into ws://…/ws
  try {
    await t.waitOut(/step 1 {2}envSteps 8 {2}loss 0\.25/);
    assert.match(t.out(), /connected to tailed/);
    hub.publish('event', { kind: 'fault', message: 'actor 2 crashed' });
    hub.publish('episode', { step: 2, envId: 'KeyDoor-v0', seed: 9, reward: 1, success: true, steps: [{ action: 1, message: '', reward: 1 }], frames: [{ rgb: new Uint8Array(12), height: 2, width: 2 }] });
    await t.waitOut(/episode KeyDoor-v0 seed 9 ✓ reward 1, 1 steps, 1 frames/);
    assert.match(t.out(), /\[fault\] actor 2 crashed/);
  } finally {
    await server.close();
  }
  assert.is(await t.done, 0);
  assert.match(t.out(), /stream closed \(1001/);
});

test('--json prints one parseable line per message; --topics filters', async () => {
  const hub = new MetricsHub();
  const token = 'tail-token-0123456789';
  const server = await startStreamServer({ hub, token });
  const t = tail([server.wsUrl, '--json', '--topics', 'event'], { THRIVE_TOKEN: token });
  hub.publish('metrics', { step: 1 });
  hub.publish('event', { kind: 'start', message: 'hello' });
  try {
    await t.waitOut(/hello/);
  } finally {
    await server.close();
  }
  assert.is(await t.done, 0);
  const lines = t.out().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => l.topic), ['event']);
  assert.is(lines[0].data.message, 'hello');
});

test('refusals and bad arguments give clear errors and exit codes', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, token: 'tail-token-0123456789' });
  try {
    const noToken = tail([server.wsUrl]);
    assert.is(await noToken.done, 1);
    assert.match(noToken.err(), /HTTP 401/);
    for (const [args, re] of [
      [['--bogus'], /unknown flag "--bogus"/],
      [[], /missing the stream URL/],
      [[server.wsUrl, '--topics', 'metrix'], /unknown topic "metrix"/],
      [['ftp://x'], /use ws:\/\/HOST:PORT\/ws/],
    ] as const) {
      const t = tail([...args]);
      assert.is(await t.done, 2, args.join(' '));
      assert.match(t.err(), re);
    }
  } finally {
    await server.close();
  }
});

test.run();
