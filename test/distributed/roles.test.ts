/**
 * The runner's roles as separate OS processes over Redis, started by their commands (scripts/learner.ts,
 * scripts/actor.ts ×2, scripts/annotator.ts) on a throwaway redis-server: a small KeyDoor experiment with
 * the rubric judge. Mid-run an actor is SIGKILLed and restarted (a new incarnation of the same id), then
 * the learner is SIGKILLed and restarted with --resume from its checkpoint (and a budget a few updates past
 * it, since the first learner's is set out of reach). The run completes that budget;
 * no update trained on more rollouts than it asked for (a duplicate would inflate one); the actors and the
 * annotator stop by themselves when the learner's run ends.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisTransport } from '../../runner/transport/redis/index.ts';
import { startRedis, type RedisServer } from './redis-server.ts';
import { RoleProcesses, type RoleProcess } from './role-processes.ts';

const root = new URL('../../', import.meta.url).pathname;
let server: RedisServer;
let dir: string;
const procs = new RoleProcesses(root, () => server.url, 100);

/** The first learner's budget is out of reach; the resumed one's is its checkpoint + EXTRA. */
const UPDATES = 100_000;
const EXTRA = 3;
const GROUPS = 4;
const GROUP_SIZE = 4;

function role(script: string, ...extra: string[]) {
  const args = [
    '--experiment', 'keydoor-thr', '--no-server', '--quiet', '--namespace', 'roles',
    '--env.options', JSON.stringify({ size: 5, maxSteps: 20 }), '--env.groupSize', String(GROUP_SIZE),
    '--policy.hidden', '[16]', '--groupsPerUpdate', String(GROUPS), '--budget.updates', String(UPDATES),
    '--actors.groupsPerTask', '2', '--logging.dir', join(dir, 'runs'), '--logging.checkpointEvery', '2',
    '--logging.episodeEvery', '0', '--claim-idle-ms', '2000', ...extra,
  ];
  return procs.start(script, args, extra.join(' '));
}

/** The learner resumed from `runDir`: its saved config, only the budget given (and the role's own flags). */
function resumed(runDirPath: string, updates: number) {
  return procs.start('learner.ts', ['--no-server', '--quiet', '--namespace', 'roles', '--claim-idle-ms', '2000', '--resume', runDirPath, '--budget.updates', String(updates)], 'resumed');
}

const diagnostics = () => procs.diagnostics();
const until = (what: string, cond: () => boolean | Promise<boolean>, ms?: number) => procs.until(what, cond, ms);
const exitOf = (p: RoleProcess, what: string) => procs.exitOf(p, what);

function runDir(): string | null {
  const runs = join(dir, 'runs');
  if (!existsSync(runs)) return null;
  const d = readdirSync(runs).filter((n) => n.startsWith('keydoor-thr'));
  return d.length ? join(runs, d[0]) : null;
}

function checkpoints(): string[] {
  const r = runDir();
  return r && existsSync(join(r, 'checkpoints')) ? readdirSync(join(r, 'checkpoints')).filter((n) => /^ckpt-\d+$/.test(n)) : [];
}

test.before(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'thrive-roles-redis-'));
});

test.after(async () => {
  procs.killAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('learner, 2 actors and the annotator as processes: an actor and the learner killed mid-run, the run completes', async () => {
  const control = await RedisTransport.connect({ url: server.url, namespace: 'roles' }, { log: () => undefined });
  try {
    const learner1 = role('learner.ts');
    const a1 = role('actor.ts', '--id', 'a1');
    const a2 = role('actor.ts', '--id', 'a2');
    const judge = role('annotator.ts', '--id', 'j1');

    await until('a2 to start sending', async () => (await control.cmd.get(control.keys.incarnation('a2'))) === '1');
    a2.child.kill('SIGKILL');
    assert.is((await exitOf(a2, 'a2 to die')).signal, 'SIGKILL');
    const a2again = role('actor.ts', '--id', 'a2');
    await until('the restarted a2 to send (as incarnation 2)', async () => (await control.cmd.get(control.keys.incarnation('a2'))) === '2');

    await until('a checkpoint at update 4', () => checkpoints().some((c) => Number(c.slice(5)) >= 4));
    learner1.child.kill('SIGKILL');
    assert.is((await exitOf(learner1, 'the learner to die')).signal, 'SIGKILL', diagnostics());
    assert.is(await control.runState(), 'running', 'a crashed learner leaves the run running: actors wait for it');
    const resumedAt = Math.max(...checkpoints().map((c) => Number(c.slice(5))));
    const learner2 = resumed(runDir()!, resumedAt + EXTRA);
    const end = await exitOf(learner2, 'the resumed learner to finish');
    assert.is(end.code, 0, learner2.text());
    assert.match(learner2.text(), /run completed/);

    for (const p of [a1, a2again, judge]) assert.is((await exitOf(p, `${p.name} to stop after the run`)).code, 0, p.text());
    assert.is(await control.runState(), 'completed');

    const summary = JSON.parse(readFileSync(join(runDir()!, 'summary.json'), 'utf8'));
    assert.is(summary.status, 'completed');
    assert.is(summary.updates, resumedAt + EXTRA);
    const metrics = readFileSync(join(runDir()!, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(metrics.length >= resumedAt + EXTRA);
    for (const m of metrics) assert.ok(m.episodes <= GROUPS * GROUP_SIZE, `update ${m.step} trained on ${m.episodes} episodes (> ${GROUPS * GROUP_SIZE}): a duplicate got in`);
    // The learner's records carry what runs elsewhere: the remote annotator's metrics (its heartbeat) and
    // the live actor processes — what its dashboard's annotator panel and actor count show.
    const withAnnotator = metrics.filter((m) => m.ann_annotatorProcesses === 1 && m.ann_captionsSeen > 0);
    assert.ok(withAnnotator.length > 0, `no metrics record shows the annotator process's metrics: ${JSON.stringify(Object.fromEntries(Object.entries(metrics.at(-1)!).filter(([k]) => k.startsWith('ann_'))))}`);
    assert.ok(metrics.some((m) => m.liveActors === 2 && m.liveActorThreads === 2), 'no record counts the two actor processes');
    assert.match(judge.text(), /annotator j1: \d+ requests, [1-9]\d* labelled/);
  } finally {
    await control.close();
  }
});

test.run();
