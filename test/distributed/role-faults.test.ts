/**
 * Faults of a multi-process run (issue #14), through the role commands as real OS processes (a learner,
 * actor a1 with two threads, actor a2 with one) on a throwaway redis-server without persistence, in one
 * run, one phase after another:
 *   1. steady: 20 s of CLIENT LIST, one sample a second — the connection count stays flat; actors far
 *      faster than the learner, yet no rollout is dropped as stale and lag stays within maxStaleness
 *      (credits, runner/transport/redis/flow.ts);
 *   2. a2 is SIGKILLed and restarted with the same --id: every message of both incarnations is trained —
 *      none taken for a duplicate, no seq missing;
 *   3. Redis is SIGKILLed and restarted on the same port after 4 s: the learner logs one line when it goes
 *      and one when it is back, records both as events and counts the outage; training goes on; on
 *      Ctrl-C the learner writes its final checkpoint and a summary that counts the outage.
 * The learner's metrics also carry the live actor processes and threads (heartbeats).
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
const NS = 'faults';
const MAX_STALENESS = 2;
let server: RedisServer;
let dir: string;
const procs = new RoleProcesses(root, () => server.url, 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function role(script: string, ...extra: string[]): RoleProcess {
  const args = [
    '--experiment', 'keydoor-ext', '--no-server', '--quiet', '--namespace', NS,
    '--env.options', JSON.stringify({ size: 5, maxSteps: 12 }), '--env.groupSize', '4', '--policy.hidden', '[8]',
    '--groupsPerUpdate', '4', '--actors.groupsPerTask', '2', '--actors.maxStaleness', String(MAX_STALENESS),
    '--budget.updates', '100000', '--logging.dir', join(dir, 'runs'), '--logging.checkpointEvery', '25',
    '--logging.episodeEvery', '0', ...extra,
  ];
  return procs.start(script, args, extra.join(' '));
}

const until = (what: string, cond: () => boolean | Promise<boolean>, ms?: number) => procs.until(what, cond, ms);

function runDir(): string | null {
  const runs = join(dir, 'runs');
  if (!existsSync(runs)) return null;
  const d = readdirSync(runs).filter((n) => n.startsWith('keydoor-ext'));
  return d.length ? join(runs, d[0]) : null;
}

/** Records of a JSON-lines file; a last line still being written is skipped. */
function jsonl(file: string): Record<string, number>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try { return [JSON.parse(l) as Record<string, number>]; } catch { return []; }
  });
}
const metrics = () => (runDir() ? jsonl(join(runDir()!, 'metrics.jsonl')) : []);
const lastMetrics = () => metrics().at(-1);
const redisLines = (p: RoleProcess) => p.text().split('\n').filter((l) => l.startsWith('[thrive:redis]'));

test.before(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'thrive-role-faults-'));
});

test.after(async () => {
  procs.killAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('connections flat, lag within maxStaleness, an actor kill -9 + restart and a Redis restart: the run goes on, counted, nothing trained lost', async () => {
  const learner = role('learner.ts');
  const a1 = role('actor.ts', '--id', 'a1', '--actors.workers', '2');
  const a2 = role('actor.ts', '--id', 'a2', '--actors.workers', '1');
  const watch = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  watch.on('error', () => undefined);
  try {
    await phases(learner, a1, a2, watch);
  } finally {
    watch.disconnect();
  }
});

async function phases(learner: RoleProcess, a1: RoleProcess, a2: RoleProcess, watch: Redis): Promise<void> {
  const thriveClients = async () => ((await watch.client('LIST')) as string).split('\n').filter((l) => l.includes('name=thrive:')).length;

  // 1. Steady state.
  await until('the first updates', () => (lastMetrics()?.step ?? 0) >= 3, 180_000);
  await until('both actors to be seen live', () => (lastMetrics()?.liveActors ?? 0) === 2, 30_000);
  const counts: number[] = [];
  for (let s = 0; s < 20; s++) {
    counts.push(await thriveClients());
    await sleep(1000);
  }
  // learner: control + run commands, its trajectory reader; each actor: commands + subscriber.
  assert.ok(Math.max(...counts) <= 7 && Math.max(...counts) === Math.min(...counts), `connections over 20 s: ${counts.join(' ')}`);
  const steady = lastMetrics()!;
  assert.ok(steady.step >= 10, `only ${steady.step} updates in the steady phase`);
  assert.is(steady.liveActorThreads, 3);
  assert.is(steady.redisConnections, 3);
  assert.is(steady.staleDropped, 0, 'credits keep every rollout within maxStaleness: none dropped as stale');
  for (const m of metrics()) {
    assert.ok(m.policyLagMax <= MAX_STALENESS, `update ${m.step}: lag ${m.policyLagMax} > ${MAX_STALENESS}`);
    // A version is published only by an update that trained on something (no empty updates here either).
    assert.ok(m.episodes > 0 && m.version === m.step && m.emptyUpdates === 0, `update ${m.step}: ${m.episodes} episodes, version ${m.version}`);
  }
  assert.ok(steady.creditsOutstanding <= MAX_STALENESS * 2 + 1);

  // 2. a2 killed mid-run and restarted with the same id; it must send more than its first incarnation did,
  // so the new incarnation's messages reuse every (sender) message id of the old one.
  const seqsOf = async (inc: number) => Number((await watch.hget(`${NS}:dedup:hwm`, `a2/${inc}`)) ?? -1);
  await until('a2 to have 5 messages trained', async () => (await seqsOf(1)) >= 4, 60_000);
  a2.child.kill('SIGKILL');
  await procs.exitOf(a2, 'a2 to die');
  const firstLife = await seqsOf(1);
  a2 = role('actor.ts', '--id', 'a2', '--actors.workers', '1');
  await until(`the restarted a2 to have more than ${firstLife + 1} messages trained`, async () => (await seqsOf(2)) > firstLife + 3, 120_000);
  // Every acknowledged message was trained (or counted): acked × 8 episodes against the learner's totals.
  // The count of acknowledged messages is read before a fresh metrics record and again after it, so the
  // record's total lies between them, up to the learner's leftovers (3 messages) — no race with acks.
  const ackedNow = async () => {
    let n = 0;
    for (const [field, hwm] of Object.entries(await watch.hgetall(`${NS}:dedup:hwm`))) n += Number(hwm) + 1 + (await watch.zcard(`${NS}:dedup:above:${field}`));
    return n;
  };
  const ackedBefore = await ackedNow();
  const stepBefore = lastMetrics()!.step;
  await until('a metrics record after the ack count', async () => lastMetrics()!.step > stepBefore + 1, 60_000);
  const afterKill = lastMetrics()!;
  const ackedAfter = await ackedNow();
  const accounted = afterKill.episodesTotal + afterKill.staleDropped + afterKill.abandonedDropped + afterKill.discardedEpisodes;
  assert.ok(accounted >= ackedBefore * 8 - 3 * 8 && accounted <= ackedAfter * 8,
    `${ackedBefore}–${ackedAfter} messages acknowledged around the record (${ackedBefore * 8}–${ackedAfter * 8} episodes), ${accounted} trained or counted`);
  assert.is(afterKill.duplicatesDropped, 0, 'no message of the new incarnation taken for one of the old');
  assert.is(afterKill.redisDuplicates, 0);
  assert.is(afterKill.redisSeqGaps, 0, 'no message of any incarnation missing');
  assert.is(afterKill.staleDropped, 0);
  assert.is(await watch.get(`${NS}:actor:a2:incarnation`), '2');
  watch.disconnect();

  // 3. Redis dies and comes back empty on the same port.
  const stepAtKill = lastMetrics()!.step;
  const port = server.port;
  await server.stop();
  await sleep(4000);
  server = await startRedis({ port });
  await until('training to go on after the outage', () => (lastMetrics()?.step ?? 0) >= stepAtKill + 5, 120_000);
  learner.child.kill('SIGINT');
  const end = await procs.exitOf(learner, 'the learner to stop');
  assert.is(end.code, 0, learner.text());
  for (const a of [a1, a2]) assert.is((await procs.exitOf(a, `${a.name} to stop after the run`)).code, 0, a.text());

  const lines = redisLines(learner);
  assert.is(lines.filter((l) => /unreachable/.test(l)).length, 1, lines.join('\n'));
  assert.is(lines.filter((l) => /is back after \d+\.\d s/.test(l)).length, 1, lines.join('\n'));
  assert.ok(lines.length <= 3, `the learner logged ${lines.length} Redis lines:\n${lines.join('\n')}`);
  for (const a of [a1, a2]) assert.ok(redisLines(a).length <= 3, `${a.name}: ${redisLines(a).join('\n')}`);
  const events = jsonl(join(runDir()!, 'events.jsonl')).map((e) => e.kind as unknown as string);
  assert.ok(events.includes('redis-outage') && events.includes('redis-back'), events.join(' '));
  const summary = JSON.parse(readFileSync(join(runDir()!, 'summary.json'), 'utf8'));
  assert.is(summary.status, 'interrupted');
  assert.is(summary.transport.redisOutages, 1);
  assert.ok(summary.transport.redisOutageSeconds >= 3, `outage seconds ${summary.transport.redisOutageSeconds}`);
  const ckpt = loadCheckpoint(latestCheckpoint(join(runDir()!, 'checkpoints'))!);
  assert.is(ckpt.counters.updates, summary.updates, 'the final checkpoint holds the last update');
  assert.ok(summary.updates >= stepAtKill + 5);
}

test.run();
