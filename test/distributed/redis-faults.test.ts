/**
 * Faults of the Redis transport on its own, against a real redis-server (issue #14, multi-process):
 *   - blocking reads reuse one connection per reader (the count stays flat however many reads);
 *   - flow control: with actors far faster than the learner, and a straggler among them, no rollout is
 *     trained beyond maxStaleness — without the credits the same run goes stale (the bound is theirs);
 *   - credits of an actor that dies before sending expire; a credit lost anyway is re-registered on send;
 *   - a restarted actor's messages get ids of their own (never taken for the old incarnation's);
 *   - Redis killed and restarted on the same port: one log line when it goes, one when it is back (with
 *     the duration), counted; `receive` keeps returning within its timeout meanwhile; a send made during
 *     the outage lands afterwards; a message that was queued in the (unpersisted) server is counted lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../core/rng.ts';
import { RedisTransport, type RedisTransportConfig } from '../../runner/transport/redis/index.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

let server: RedisServer;
const open: RedisTransport[] = [];
let nsCounter = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(ns: string, extra: Partial<RedisTransportConfig> = {}, log: (l: string) => void = () => undefined, name?: string): Promise<RedisTransport> {
  const t = await RedisTransport.connect({ url: server.url, namespace: ns, maxBackoffMs: 200, ...extra }, { log, name });
  open.push(t);
  return t;
}

const freshNs = () => `f${process.pid}-${nsCounter++}`;

async function clientCount(t: RedisTransport): Promise<number> {
  return ((await t.cmd.client('LIST')) as string).trim().split('\n').length;
}

test.before(async () => {
  server = await startRedis();
});

test.after(async () => {
  for (const t of open) await t.close();
  await server?.stop();
});

test('connections: 150 blocking reads (trajectories and labels) reuse one connection per reader', async () => {
  const ns = freshNs();
  const t = await connect(ns, {}, undefined, 'reuse');
  const src = t.trajectorySource('learner');
  const channel = t.annotationChannel('learner');
  await src.receive(1, 20); // opens the trajectory reader's connection
  await sleep(100); // the label reader's first blocking read is under way
  const before = await clientCount(t);
  for (let i = 0; i < 150; i++) assert.equal(await src.receive(1, 10), []);
  const after = await clientCount(t);
  assert.is(after, before, `connections grew from ${before} to ${after} over 150 reads`);
  // This process: commands, the trajectory reader, the label reader (no subscriber opened).
  const mine = ((await t.cmd.client('LIST')) as string).split('\n').filter((l) => l.includes('name=thrive:reuse:'));
  assert.is(mine.length, 3, mine.join('\n'));
  assert.is(t.metrics().redisConnections, 3);
  await channel.close();
});

/**
 * A learner and three actor processes in one test process: the learner mimics the learner thread's rules
 * (U messages' worth per update, leftovers kept, at most one update per batch, lag = version − sampled
 * version, acknowledged after the update); each actor has two lanes that take a credit, sample with the
 * newest weights they hold (polled every 20 ms, as runActors does), and send. Actor c's first lane is a
 * straggler: every third task takes 20× as long.
 */
async function simulate(flow: boolean, messages: number): Promise<{ maxLag: number; lags: number[]; maxOutstanding: number }> {
  const S = 1;
  const U = 2;
  const ns = freshNs();
  const cfg = { maxStaleness: flow ? S : null, tasksPerUpdate: U, maxQueued: 64 };
  const learnerT = await connect(ns, cfg);
  const pub = learnerT.weightPublisher();
  let V = 0;
  await pub.publish(V, new Uint8Array([0]));
  const src = learnerT.trajectorySource('learner');
  let stop = false;
  const actors = await Promise.all(['a', 'b', 'c'].map(async (id, n) => {
    const t = await connect(ns, cfg);
    const sink = t.trajectorySink(id);
    const sub = t.weightSubscriber();
    let held = (await sub.fetch(-1))!.version;
    const bridge = setInterval(() => void sub.fetch(held).then((w) => { if (w) held = w.version; }, () => undefined), 20);
    const rng = new Rng(100 + n);
    const lane = async (laneNo: number) => {
      let k = 0;
      while (!stop) {
        const credit = await sink.acquire(() => held, () => stop);
        if (credit === null) return;
        const sampled = held;
        const slow = id === 'c' && laneNo === 0 && k++ % 3 === 2;
        await sleep((slow ? 20 : 1) * (2 + rng.float() * 4));
        if (stop) return;
        await sink.send({ id: `${id}:${laneNo}:${k}`, actorId: id, policyVersion: sampled, steps: 1, payload: new Uint8Array([1]), credit });
      }
    };
    return { done: Promise.all([lane(0), lane(1)]), bridge };
  }));
  const lags: number[] = [];
  let pending: number[] = [];
  let maxOutstanding = 0;
  while (lags.length < messages) {
    const got = await src.receive(U, 200);
    if (got.length === 0) continue;
    pending.push(...got.map((m) => m.policyVersion));
    if (pending.length >= U) {
      // The update: the U oldest, checked against the version it starts from; then the next version.
      for (const v of pending.slice(0, U)) lags.push(V - v);
      pending = pending.slice(U);
      await sleep(15); // a learner far slower than the actors
      V++;
      await pub.publish(V, new Uint8Array([V & 255]));
    }
    maxOutstanding = Math.max(maxOutstanding, await learnerT.cmd.zcard(learnerT.keys.credits));
    await src.ack(got.map((m) => m.id));
  }
  stop = true;
  for (const a of actors) clearInterval(a.bridge);
  // Lanes waiting for a credit see `stop` at their next retry; lanes waiting to send get space below.
  while ((await learnerT.cmd.xlen(learnerT.keys.traj)) > 0) await src.ack((await src.receive(16, 50)).map((m) => m.id));
  await Promise.all(actors.map((a) => a.done));
  return { maxLag: Math.max(...lags), lags, maxOutstanding };
}

test('flow control: fast actors, a straggler and a slow learner — no rollout trained beyond maxStaleness', async () => {
  const on = await simulate(true, 120);
  // maxStaleness 1, 2 messages per update: at most (1 − 0)·2 + 1 = 3 credits out when the weights are fresh.
  assert.ok(on.maxLag <= 1, `lag ${on.maxLag} > maxStaleness 1 with credits (lags ${on.lags.join(' ')})`);
  assert.ok(on.maxOutstanding <= 3, `${on.maxOutstanding} credits outstanding, bound 3`);
  // The same run without the version bound: the actors run ahead and the learner sees stale rollouts.
  const off = await simulate(false, 120);
  assert.ok(off.maxLag > 1, `without credits the lag should exceed maxStaleness, max was ${off.maxLag}`);
});

test('flow control: credits wait while the actor holds weights too old; a dead actor\'s credits expire after leaseMs', async () => {
  const ns = freshNs();
  const t = await connect(ns, { maxStaleness: 1, tasksPerUpdate: 2, leaseMs: 300 });
  t.trajectorySource('learner'); // publishes the learner's flow parameters
  await t.weightPublisher().publish(5, new Uint8Array([5]));
  const sink = t.trajectorySink('a');
  let held = 3; // two versions behind the learner: a task sampled now could only be trained at lag >= 2
  let granted: string | null = null;
  const waiting = sink.acquire(() => held, () => false).then((c) => (granted = c));
  await sleep(400);
  assert.is(granted, null, 'no credit for weights already older than maxStaleness allows');
  held = 5;
  await waiting;
  assert.ok(granted, 'granted once the actor holds the newest weights');
  assert.is(sink.stats.credits.waits, 1);
  // Three credits (2·1 + 1) fit; a fourth waits.
  const dying = t.trajectorySink('dead');
  for (let i = 0; i < 2; i++) assert.ok(await dying.acquire(() => 5, () => false));
  let fourth = false;
  const more = sink.acquire(() => 5, () => false).then(() => (fourth = true));
  await sleep(150);
  assert.is(fourth, false, 'three credits out: the fourth waits');
  // 'dead' stops renewing (as a killed process would): after leaseMs its credits are gone and the wait ends.
  clearDeadRenewals(dying);
  await more;
  assert.is(fourth, true);
  assert.ok(await t.cmd.zcard(t.keys.credits) <= 3);
});

test('flow control: a credit whose entry vanished (stream deleted by hand) is cleared once the stream is empty', async () => {
  const ns = freshNs();
  const t = await connect(ns, { maxStaleness: 0, tasksPerUpdate: 1 });
  t.trajectorySource('learner');
  await t.weightPublisher().publish(0, new Uint8Array([0]));
  const sink = t.trajectorySink('a');
  await sink.send({ id: 'x', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([1]) });
  await t.cmd.del(t.keys.traj); // what resume-versions.test.ts does to empty the queue
  // maxStaleness 0, one message per update: one credit at a time; the orphan must not block the next.
  assert.ok(await sink.acquire(() => 0, () => false));
  assert.is(sink.stats.credits.freed, 1);
  assert.is(await t.cmd.zcard(t.keys.credits), 1);
});

/** Stops a sink's lease renewal without giving its credits back: what a SIGKILL does. */
function clearDeadRenewals(sink: object): void {
  const ledger = (sink as { ledger: { timer: NodeJS.Timeout | null } }).ledger;
  if (ledger.timer) clearInterval(ledger.timer);
  ledger.timer = null;
}

test('incarnations: a restarted actor reusing its message ids gets ids of its own', async () => {
  const ns = freshNs();
  const t = await connect(ns);
  const src = t.trajectorySource('learner');
  const first = t.trajectorySink('a');
  const msg = (b: number) => ({ id: 'a-:0', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([b]) });
  assert.is(await first.send(msg(1)), 'a/1#0');
  const restarted = t.trajectorySink('a'); // the same --id in a new process
  assert.is(await restarted.send(msg(2)), 'a/2#0');
  const got = await src.receive(10, 500);
  assert.equal(got.map((m) => m.id).sort(), ['a/1#0', 'a/2#0']);
  assert.equal(got.map((m) => m.payload[0]).sort(), [1, 2]);
  assert.is(src.stats.duplicates, 0);
});

test('outage: Redis killed and restarted on the same port — one line each way, counted; receive keeps its timeout; a send made meanwhile lands', async () => {
  const ns = freshNs();
  const lines: string[] = [];
  const t = await connect(ns, {}, (l) => lines.push(l), 'outage');
  const actor = await connect(ns, {}, () => undefined, 'outage-actor');
  const src = t.trajectorySource('learner');
  const sink = actor.trajectorySink('a');
  const notices: string[] = [];
  t.onNotice((n) => notices.push(n.kind));
  await sink.send({ id: 'x', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([1]) });
  const first = await src.receive(4, 500);
  assert.is(first.length, 1);
  await src.ack(first.map((m) => m.id));
  // Queued in Redis when it dies (no persistence): lost with it — and counted as a gap once a later one arrives.
  await sink.send({ id: 'z', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([9]) });

  const port = server.port;
  await server.stop();
  const downAt = Date.now();
  // While Redis is down: every receive returns within its timeout (+ grace); a send waits.
  const during: number[] = [];
  let sent = false;
  const sending = sink.send({ id: 'y', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([2]) }).then(() => (sent = true));
  while (Date.now() - downAt < 2500) {
    const t0 = Date.now();
    assert.equal(await src.receive(4, 200), []);
    during.push(Date.now() - t0);
  }
  assert.ok(Math.max(...during) < 200 + 800, `a receive during the outage took ${Math.max(...during)} ms`);
  assert.is(sent, false);
  server = await startRedis({ port });
  await sending;
  let got: string[] = [];
  for (let i = 0; i < 50 && got.length === 0; i++) got = (await src.receive(4, 200)).map((m) => String(m.payload[0]));
  assert.equal(got, ['2'], 'the message sent during the outage arrives (the group is recreated on the empty server)');
  assert.is(src.stats.seqGaps, 1, 'the message lost with the server is counted');
  for (let i = 0; i < 50 && notices.length < 2; i++) await sleep(100);
  const down = lines.filter((l) => /unreachable/.test(l));
  const back = lines.filter((l) => /is back after \d+\.\d s/.test(l));
  assert.is(down.length, 1, lines.join('\n'));
  assert.is(back.length, 1, lines.join('\n'));
  assert.ok(lines.length <= 3, `${lines.length} log lines for one outage:\n${lines.join('\n')}`);
  assert.equal(notices, ['redis-outage', 'redis-back']);
  const m = t.metrics();
  assert.is(m.redisOutages, 1);
  assert.ok(m.redisOutageSeconds >= 2 && m.redisOutageSeconds < 30, `outage seconds ${m.redisOutageSeconds}`);
});

test.run();
