/**
 * The Redis transport across real OS processes: a learner, two actors and an annotator, each its own
 * `node` process (the transport-test stand-ins in procs/, not the runner's roles), on a throwaway
 * redis-server. Mid-run, on purpose:
 *   - the learner crashes twice (once after checkpointing a batch but before acknowledging it, once right
 *     after receiving a batch) and is restarted under the same consumer id;
 *   - actor a2 is SIGKILLed by the test and restarted (a new incarnation of the same actor id);
 *   - the annotator crashes holding requests and a second one (another consumer id) takes them over.
 * Then: every trajectory an actor saw sent was trained exactly once, nothing was trained twice, every
 * annotation request got exactly one label, and the streams end empty with nothing pending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisTransport } from '../../runner/transport/redis/index.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

const procs = new URL('./procs/', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;

interface Role {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let server: RedisServer;
let out: string;
const roles: Role[] = [];

function spawnRole(script: string, args: string[], extraEnv: Record<string, string> = {}): Role {
  const child = spawn(process.execPath, ['--import', 'tsx', join(procs, script), ...args], {
    cwd: root,
    env: { ...process.env, THRIVE_TEST_REDIS_URL: server.url, THRIVE_TEST_NS: 'mp', THRIVE_TEST_OUT: out, THRIVE_TEST_CLAIM_IDLE_MS: '800', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const role = { name: `${script.replace('.ts', '')} ${args.join(' ')}`, child, output: () => text, exited };
  roles.push(role);
  return role;
}

function diagnostics(): string {
  const c = ckpt();
  const state = c ? `checkpoint: trained ${c.trained.length}, requested ${c.requested.length}, labels ${Object.keys(c.labels).length}, restarts ${c.restarts}\n` : '';
  return state + roles.map((r) => `--- ${r.name} (exit ${r.child.exitCode ?? r.child.signalCode ?? 'running'}):\n${r.output().slice(-1500)}`).join('\n');
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitOf(role: Role, what: string, ms = 60_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\n${diagnostics()}`)), ms); });
  try {
    return await Promise.race([role.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

interface Ckpt { trained: string[]; skippedAsTrained: number; requested: string[]; labels: Record<string, number>; duplicateLabels: number; restarts: number; done?: boolean; version: number }

function ckpt(): Ckpt | null {
  const f = join(out, 'learner.ckpt.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
}

const trainedCount = () => ckpt()?.trained.length ?? 0;

test.before(async () => {
  server = await startRedis();
  out = mkdtempSync(join(tmpdir(), 'thrive-mp-'));
});

test.after(async () => {
  for (const r of roles) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await server?.stop();
  rmSync(out, { recursive: true, force: true });
});

test('learner, 2 actors, annotator as OS processes: crashes and kills lose nothing and train nothing twice', async () => {
  const learner1 = spawnRole('learner.ts', ['learner'], { THRIVE_TEST_CRASH: 'beforeAck:3' });
  const judge1 = spawnRole('annotator.ts', ['judge-1'], { THRIVE_TEST_CRASH: 'afterReceive:2' });
  const a1 = spawnRole('actor.ts', ['a1']);
  const a2 = spawnRole('actor.ts', ['a2']);

  assert.is((await exitOf(learner1, 'learner 1 to crash before its 3rd ack')).signal, 'SIGKILL');
  const learner2 = spawnRole('learner.ts', ['learner'], { THRIVE_TEST_CRASH: 'afterReceive:2' });
  assert.is((await exitOf(learner2, 'learner 2 to crash after its 2nd receive')).signal, 'SIGKILL');
  const learner3 = spawnRole('learner.ts', ['learner']);

  await until('actor a2 to send 6 messages', () => lines(join(out, 'actor-a2.sent')).length >= 6);
  a2.child.kill('SIGKILL');
  assert.is((await exitOf(a2, 'a2 to die')).signal, 'SIGKILL');
  const sentBeforeKill = lines(join(out, 'actor-a2.sent')).length;
  await until('the learner to train 20 messages', () => trainedCount() >= 20);
  const a2again = spawnRole('actor.ts', ['a2']);

  assert.is((await exitOf(judge1, 'annotator 1 to crash holding requests')).signal, 'SIGKILL');
  const judge2 = spawnRole('annotator.ts', ['judge-2']);

  await until('the restarted a2 to send 4 messages', () => lines(join(out, 'actor-a2.sent')).length >= sentBeforeKill + 4);
  await until('the learner to train 40 messages', () => trainedCount() >= 40);

  const control = await RedisTransport.connect({ url: server.url, namespace: 'mp' }, { log: () => undefined });
  try {
    await control.cmd.set('mp:test:stop', '1');
    for (const a of [a1, a2again]) assert.is((await exitOf(a, `${a.name} to stop`)).code, 0, a.output());
    await control.cmd.set('mp:test:drain', '1');
    assert.is((await exitOf(learner3, 'the learner to drain and stop')).code, 0, learner3.output());
    await control.cmd.set('mp:test:done', '1');
    assert.is((await exitOf(judge2, 'annotator 2 to stop')).code, 0, judge2.output());

    const final = ckpt()!;
    assert.ok(final.done, 'the last learner finished cleanly');
    assert.is(final.restarts, 2);

    // Trained exactly once.
    assert.is(new Set(final.trained).size, final.trained.length, 'a message was trained twice');
    const sent = [...lines(join(out, 'actor-a1.sent')), ...lines(join(out, 'actor-a2.sent'))].map((l) => l.split(' ')[0]);
    const trained = new Set(final.trained);
    const lost = sent.filter((id) => !trained.has(id));
    assert.equal(lost, [], 'messages whose send resolved but were never trained');
    // Only the killed actor may have had one XADD land without living to log it.
    const unlogged = final.trained.filter((id) => !sent.includes(id));
    assert.ok(unlogged.length <= 1 && unlogged.every((id) => id.startsWith('a2/1#')), `unexpected trained ids: ${unlogged}`);
    assert.ok(sent.some((id) => id.startsWith('a2/2#')), 'the restarted actor is a new incarnation of a2');
    assert.ok(final.skippedAsTrained >= 1, 'the batch checkpointed before the crash came back and was recognised by id');

    // Weights reached the actors: they sampled with versions published after they started.
    const versions = lines(join(out, 'actor-a1.sent')).map((l) => Number(l.split(' ')[1]));
    assert.ok(Math.max(...versions) > 1, `a1 only ever saw weight versions ${[...new Set(versions)]}`);

    // Annotations: one label per request, none lost to the annotator crash.
    assert.equal(Object.keys(final.labels).sort(), [...final.requested].sort());
    assert.is(final.duplicateLabels, 0);
    assert.ok(final.requested.length >= 2 * final.trained.length);

    // Streams end empty, nothing pending anywhere.
    assert.is(await control.cmd.xlen(control.keys.traj), 0);
    assert.is(((await control.cmd.xpending(control.keys.traj, control.keys.trajGroup)) as [number])[0], 0);
    assert.is(await control.cmd.xlen(control.keys.annRequests), 0);
    assert.is(((await control.cmd.xpending(control.keys.annRequests, control.keys.annGroup)) as [number])[0], 0);
    assert.is(await control.cmd.get(control.keys.incarnation('a2')), '2');
  } finally {
    await control.close();
  }
});

test.run();
