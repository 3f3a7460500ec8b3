/**
 * A learner killed after publishing versions past its last checkpoint and restarted with --resume continues
 * its weight versions above everything it published (docs/distributed.md, runner/learner/lineage.ts): the
 * actor process — never restarted — samples with the resumed learner's weights as soon as they appear,
 * the versions announced on the namespace's channel only ever increase, and rollouts sampled with the
 * abandoned versions (published after the checkpoint, lost with the process) are dropped and counted.
 *
 * OS processes through their commands (scripts/learner.ts, scripts/actor.ts) on a throwaway redis-server;
 * the test watches Redis itself: the weight announcements (pub/sub) and every trajectory entry as it is
 * appended (XREAD on the stream, which carries the actor's incarnation and sampling version per entry).
 * After the kill the test empties the stream, as a Redis restart without persistence would: the rollouts
 * queued before were sampled long before the kill (the actor runs up to `maxQueued` messages ahead), so
 * only this makes the resumed learner's first input the actor's downtime rollouts — sampled with the
 * abandoned versions — and the drop path is exercised every time rather than by chance.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latestCheckpoint, loadCheckpoint } from '../../runner/checkpoint.ts';
import { startRedis, type RedisServer } from './redis-server.ts';
import { RoleProcesses, type RoleProcess } from './role-processes.ts';

const root = new URL('../../', import.meta.url).pathname;
const NS = 'resume';
/** Updates of the resumed learner: enough to work through the backlog of abandoned rollouts and then train on fresh ones. */
const EXTRA = 90;
/** Episodes per trajectory message: actors.groupsPerTask × env.groupSize. */
const EPISODES_PER_MESSAGE = 2 * 4;
let server: RedisServer;
let dir: string;
const procs = new RoleProcesses(root, () => server.url, 20);

function role(script: string, ...extra: string[]) {
  const args = [
    '--experiment', 'keydoor-ext', '--no-server', '--quiet', '--namespace', NS,
    '--env.options', JSON.stringify({ size: 5, maxSteps: 12 }), '--env.groupSize', '4', '--policy.hidden', '[8]',
    '--groupsPerUpdate', '2', '--actors.groupsPerTask', '2', '--actors.workers', '1', '--budget.updates', '100000',
    '--logging.dir', join(dir, 'runs'), '--logging.checkpointEvery', '4', '--logging.episodeEvery', '0', '--actors.maxStaleness', '1000', ...extra,
  ];
  return procs.start(script, args, extra.join(' '));
}

/** The learner resumed from `runDir`: its saved config, only the budget given (and the role's own flags). */
function resumed(runDirPath: string, updates: number) {
  return procs.start('learner.ts', ['--no-server', '--quiet', '--namespace', NS, '--resume', runDirPath, '--budget.updates', String(updates)], 'resumed');
}

const diagnostics = () => procs.diagnostics();
const until = (what: string, cond: () => boolean | Promise<boolean>, ms?: number) => procs.until(what, cond, ms);
const exitOf = (p: RoleProcess, what: string) => procs.exitOf(p, what);

function runDir(): string | null {
  const runs = join(dir, 'runs');
  if (!existsSync(runs)) return null;
  const d = readdirSync(runs).filter((n) => n.startsWith('keydoor-ext'));
  return d.length ? join(runs, d[0]) : null;
}

function lastCheckpoint(): number {
  const r = runDir();
  if (!r || !existsSync(join(r, 'checkpoints'))) return -1;
  return Math.max(-1, ...readdirSync(join(r, 'checkpoints')).filter((n) => /^ckpt-\d+$/.test(n)).map((n) => Number(n.slice(5))));
}

const jsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

test.before(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'thrive-resume-versions-'));
});

test.after(async () => {
  procs.killAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('after a learner kill + resume the running actor takes the new weights at once; versions only increase', async () => {
  const cmd = new Redis(server.url, { lazyConnect: false });
  const watcher = new Redis(server.url);
  const reader = new Redis(server.url);
  // Every announced version, in order, across both learner processes.
  const announced: number[] = [];
  await watcher.subscribe(`${NS}:wannounce`);
  watcher.on('message', (_ch: string, m: string) => announced.push(Number(m)));
  // Every trajectory entry as the actor appends it: (incarnation, sampling version).
  const entries: { id: string; inc: number; v: number; at: number }[] = [];
  let mirroring = true;
  const mirror = (async () => {
    let last = '0-0';
    while (mirroring) {
      const r = await reader.xread('COUNT', 100, 'BLOCK', 200, 'STREAMS', `${NS}:traj`, last).catch(() => null);
      for (const [, list] of r ?? []) for (const [id, fields] of list) {
        last = id;
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i], fields[i + 1]);
        entries.push({ id, inc: Number(f.get('i')), v: Number(f.get('v')), at: Date.now() });
      }
    }
  })();
  try {
    const learner1 = role('learner.ts');
    const actor = role('actor.ts', '--id', 'a1');
    // Kill the learner when it has published at least two versions past its newest checkpoint (and the
    // next checkpoint is not due): those versions are then lost with it, while the actor may hold them.
    await until('the learner to publish past a checkpoint', async () => {
      const ck = lastCheckpoint();
      const latest = Number(await cmd.get(`${NS}:wlatest`) ?? -1);
      return ck >= 4 && latest >= ck + 2 && latest % 4 !== 3;
    });
    learner1.child.kill('SIGKILL');
    assert.is((await exitOf(learner1, 'the learner to die')).signal, 'SIGKILL', diagnostics());
    const resumedFrom = lastCheckpoint();
    const published = Number(await cmd.get(`${NS}:wlatest`));
    assert.ok(published > resumedFrom, `versions ${resumedFrom + 1}..${published} were published after the checkpoint`);
    const killedAt = Date.now();
    // Atomically: empty the stream and note its last id (entries after it were appended after the trim).
    const [, [, info]] = (await cmd.multi().xtrim(`${NS}:traj`, 'MAXLEN', 0).xinfo('STREAM', `${NS}:traj`).exec()) as [unknown, [unknown, unknown[]]];
    const trimmedAt = String(info[info.indexOf('last-generated-id') + 1]);

    const learner2 = resumed(runDir()!, resumedFrom + EXTRA);
    const end = await exitOf(learner2, 'the resumed learner to finish');
    assert.is(end.code, 0, learner2.text());
    assert.match(learner2.text(), /run completed/);
    assert.not.match(learner2.text(), /restart them|forgot stored weight/, 'no workaround message');
    assert.is((await exitOf(actor, 'the actor to stop after the run')).code, 0, actor.text());

    // The actor was never restarted: one incarnation throughout.
    assert.is(await cmd.get(`${NS}:actor:a1:incarnation`), '1');
    assert.ok(entries.length > 0 && entries.every((e) => e.inc === 1), 'every entry came from incarnation 1');

    // Versions: strictly increasing across the kill; the resumed learner starts right above the last published.
    for (let i = 1; i < announced.length; i++) assert.ok(announced[i] > announced[i - 1], `announced ${announced.join(',')}`);
    const resumedVersion = published + 1;
    assert.ok(announced.includes(published) && announced.includes(resumedVersion), `announced ${announced.join(',')}`);
    assert.is(Number(await cmd.get(`${NS}:wlatest`)), resumedVersion + EXTRA, 'one version per update after the resume');

    // The actor sampled with the resumed learner's weights (no restart), and never went back to an old version.
    const after = entries.filter((e) => e.at > killedAt);
    const firstNew = after.findIndex((e) => e.v >= resumedVersion);
    assert.ok(firstNew >= 0, `the actor sampled with a resumed version (versions seen after the kill: ${[...new Set(after.map((e) => e.v))].join(',')})`);
    for (const e of after.slice(firstNew)) assert.ok(e.v >= resumedVersion, `after taking version ${resumedVersion}+ the actor sampled with ${e.v}`);
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i].v >= entries[i - 1].v, 'the actor\'s sampling version never decreased');

    // Lag accounting: the fork is recorded; rollouts of the abandoned versions were dropped and counted;
    // every kept rollout's lag is counted along the lineage (never negative, never inflated by the jump).
    const rd = runDir()!;
    const fork = jsonl(join(rd, 'events.jsonl')).find((e) => e.kind === 'fork');
    assert.ok(fork, 'a fork event');
    assert.equal([fork!.parent, fork!.version], [resumedFrom, resumedVersion]);
    const metrics = jsonl(join(rd, 'metrics.jsonl')).filter((m) => Number(m.version) > resumedVersion);
    assert.is(metrics.length, EXTRA);
    const abandoned = Number(metrics.at(-1)!.abandonedDropped);
    const newer = (a: string, b: string) => { const [am, as] = a.split('-').map(Number); const [bm, bs] = b.split('-').map(Number); return am > bm || (am === bm && as > bs); };
    const abandonedSent = entries.filter((e) => newer(e.id, trimmedAt) && e.v > resumedFrom && e.v < resumedVersion).length;
    assert.ok(abandonedSent > 0, `the actor sent rollouts sampled with abandoned versions ${resumedFrom + 1}..${published} while the learner was down`);
    assert.is(abandoned, abandonedSent * EPISODES_PER_MESSAGE, 'every rollout sampled with an abandoned version was dropped and counted, and only those');
    for (const m of metrics) {
      if (Number(m.episodes) === 0) continue;
      assert.ok(Number(m.policyLag) >= 0 && Number(m.policyLagMax) >= Number(m.policyLag), `update ${m.version}: lag ${m.policyLag}, max ${m.policyLagMax}`);
    }
    assert.ok(metrics.some((m) => Number(m.episodes) > 0), 'the resumed learner trained on fresh rollouts');
    const summary = JSON.parse(readFileSync(join(rd, 'summary.json'), 'utf8'));
    assert.is(summary.status, 'completed');
    assert.is(summary.abandonedDropped, abandoned);
    // The fork travels in the checkpoints: a second resume keeps counting lag along the same history.
    assert.equal(loadCheckpoint(latestCheckpoint(join(rd, 'checkpoints'))!).lineage, [{ parent: resumedFrom, version: resumedVersion }]);
  } finally {
    mirroring = false;
    await Promise.race([mirror, new Promise((r) => setTimeout(r, 1000))]);
    cmd.disconnect();
    watcher.disconnect();
    reader.disconnect();
  }
});

test.run();
