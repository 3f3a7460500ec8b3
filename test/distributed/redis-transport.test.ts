/**
 * The Redis transport on its own, against a real redis-server on loopback: trajectories (ack, trim,
 * depth, backpressure, duplicates, reclaim), weights (versioned keys, announce, retention, ordering),
 * annotations (requests, labels, backlog drops, reclaim) and config validation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DedupWindow, RedisTransport, serveAnnotations, validateRedisTransportConfig, type RedisTransportConfig,
} from '../../runner/transport/redis/index.ts';
import type { AnnotationChannel, AnnotationLabel, AnnotationRequest, TrajectoryMessage } from '../../runner/index.ts';
import { rejects, startRedis, type RedisServer } from './redis-server.ts';

let server: RedisServer;
const open: RedisTransport[] = [];
let nsCounter = 0;

async function connect(ns: string, extra: Partial<RedisTransportConfig> = {}): Promise<RedisTransport> {
  const t = await RedisTransport.connect({ url: server.url, namespace: ns, ...extra }, { log: () => undefined });
  open.push(t);
  return t;
}

function freshNs(): string {
  return `t${process.pid}-${nsCounter++}`;
}

/** A message from actor `actorId`; the source hands it out as `<actorId>/<incarnation>#<seq of the send>`. */
function msg(actorId: string, seq: number, bytes: number[] = [seq, seq + 1]): TrajectoryMessage {
  return { id: `${actorId}:${seq}`, actorId, policyVersion: seq % 3, steps: 10 + seq, payload: new Uint8Array(bytes) };
}

/** Copies a stream entry's fields verbatim as a new entry: what a re-sent XADD leaves behind. */
async function duplicateEntry(t: RedisTransport, streamId: string): Promise<void> {
  const entries = await t.cmd.xrangeBuffer(t.keys.traj, streamId, streamId);
  assert.is(entries.length, 1, `entry ${streamId} should still exist`);
  await t.cmd.xadd(t.keys.traj, '*', ...(entries[0][1] as Buffer[]));
}

test.before(async () => {
  server = await startRedis();
});

test.after(async () => {
  for (const t of open) await t.close();
  await server?.stop();
});

test('config: defaults, unknown keys and bad values are named', () => {
  const c = validateRedisTransportConfig({});
  assert.is(c.url, 'redis://127.0.0.1:6379');
  assert.is(c.namespace, 'thrive');
  assert.is(c.tls.rejectUnauthorized, true);
  const bad: [unknown, RegExp][] = [
    [{ bogus: 1 }, /unknown config key 'redis\.bogus'. Valid keys of 'redis': url, namespace/],
    [{ url: 'http://x' }, /'redis\.url' must start with redis:\/\/ or rediss:\/\//],
    [{ url: 'not a url' }, /'redis\.url' is not a URL/],
    [{ url: 'redis://h:1/abc' }, /database number/],
    [{ maxQueued: 0 }, /'redis\.maxQueued' must be an integer >= 1, got 0/],
    [{ claimIdleMs: 2.5 }, /'redis\.claimIdleMs' must be an integer/],
    [{ namespace: 'a b' }, /'redis\.namespace' must be/],
    [{ tls: { ca: 'x' } }, /unknown config key 'redis\.tls\.ca'/],
    [{ tls: { certFile: 'c.pem' } }, /'redis\.tls\.certFile' and 'redis\.tls\.keyFile' go together/],
    [{ weightVersionsKept: 1 }, /'redis\.weightVersionsKept' must be an integer >= 2/],
    [[], /must be an object/],
  ];
  for (const [input, re] of bad) assert.throws(() => validateRedisTransportConfig(input), re, JSON.stringify(input));
  // A password never appears in an error.
  assert.throws(() => validateRedisTransportConfig({ url: 'redis://:s3cret@h:1/x' }), (e: Error) => !e.message.includes('s3cret'));
});

test('dedup window: contiguous mark, out-of-order set, bounded memory', () => {
  const d = new DedupWindow(3);
  for (const s of [0, 1, 3, 5]) d.mark('a/1', s);
  assert.equal(d.state('a/1'), { hwm: 1, above: [3, 5] });
  assert.ok(d.seen('a/1', 0) && d.seen('a/1', 3) && d.seen('a/1', 5));
  assert.not.ok(d.seen('a/1', 2) || d.seen('a/1', 4) || d.seen('a/2', 0));
  d.mark('a/1', 2);
  assert.equal(d.state('a/1'), { hwm: 3, above: [5] });
  for (const s of [7, 9, 11]) d.mark('a/1', s);
  // Four above the mark with a window of 3: the oldest (5) folds into the mark, and so does 4, never seen.
  assert.equal(d.state('a/1'), { hwm: 5, above: [7, 9, 11] });
});

test('trajectories: round trip, depth, ack trims the stream, ack is idempotent', async () => {
  const t = await connect(freshNs());
  const a = t.trajectorySink('a');
  const b = t.trajectorySink('b');
  await a.send(msg('a', 0, [1, 2, 3]));
  await b.send(msg('b', 0, [9]));
  await a.send(msg('a', 1, [4]));
  const src = t.trajectorySource('learner');
  assert.is(await src.depth(), 3);
  const got = await src.receive(10, 1000);
  assert.equal(got.map((m) => m.id).sort(), ['a/1#0', 'a/1#1', 'b/1#0']);
  for (const m of got) assert.ok(m.payload.byteOffset === 0 && m.payload.byteLength === m.payload.buffer.byteLength, 'payloads own their buffer (transferable)');
  const a0 = got.find((m) => m.id === 'a/1#0')!;
  assert.equal([...a0.payload], [1, 2, 3]);
  assert.is(a0.steps, 10);
  assert.is(a0.policyVersion, 0);
  assert.is(a0.actorId, 'a');
  assert.is(await src.depth(), 3, 'delivered but unacknowledged messages still count');
  await src.ack(['a/1#0', 'b/1#0']);
  assert.is(await src.depth(), 1);
  await src.ack(['a/1#0', 'nonexistent']);
  await src.ack(['a/1#1']);
  assert.is(await t.cmd.xlen(t.keys.traj), 0, 'acknowledged entries are deleted');
  assert.equal(await src.receive(10, 0), []);
  assert.equal(src.stats, { received: 3, acked: 3, duplicates: 0, reclaimed: 0, malformed: 0, readErrors: 0, seqGaps: 0 });
});

test('trajectories: an entry not written by the transport is logged, acknowledged and dropped, not redelivered forever', async () => {
  const lines: string[] = [];
  const t = await RedisTransport.connect({ url: server.url, namespace: freshNs() }, { log: (l) => lines.push(l) });
  open.push(t);
  await t.cmd.xadd(t.keys.traj, '*', 'hello', 'world');
  await t.trajectorySink('a').send(msg('a', 0));
  const src = t.trajectorySource('learner');
  const got = await src.receive(10, 500);
  assert.equal(got.map((m) => m.id), ['a/1#0']);
  assert.is(src.stats.malformed, 1);
  assert.match(lines.join('\n'), /has no field/);
  await src.ack(['a/1#0']);
  assert.is(await src.depth(), 0);
});

test('trajectories: backpressure holds the actor at maxQueued until the learner acknowledges', async () => {
  const t = await connect(freshNs(), { maxQueued: 2 });
  const sink = t.trajectorySink('a');
  await sink.send(msg('a', 0));
  await sink.send(msg('a', 1));
  let third = false;
  const pending = sink.send(msg('a', 2)).then(() => (third = true));
  const src = t.trajectorySource('learner');
  const got = await src.receive(10, 500);
  assert.is(got.length, 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(third, false, 'the third send must wait while two messages are unacknowledged');
  assert.is(await t.cmd.xlen(t.keys.traj), 2);
  await src.ack([got[0].id]);
  await pending;
  assert.is(third, true);
  assert.is(sink.stats.waits, 1);
  const rest = await src.receive(10, 1000);
  assert.equal(rest.map((m) => m.id), ['a/1#2']);
});

test('trajectories: a re-sent copy is never delivered twice, before or after the ack, across learner restarts', async () => {
  const ns = freshNs();
  const t = await connect(ns);
  const sink = t.trajectorySink('a');
  await sink.send(msg('a', 0));
  const [first] = await t.cmd.xrange(t.keys.traj, '-', '+');
  await duplicateEntry(t, first[0]); // copy present while the original is held
  const src = t.trajectorySource('learner');
  const got = await src.receive(10, 500);
  assert.equal(got.map((m) => m.id), ['a/1#0']);
  assert.is(src.stats.duplicates, 1);
  // Copy arriving after the ack: recognised from the marks in Redis.
  const [orig] = await t.cmd.xrange(t.keys.traj, '-', '+');
  await duplicateEntry(t, orig[0]);
  await src.ack(['a/1#0']);
  assert.equal(await src.receive(10, 200), []);
  assert.is(src.stats.duplicates, 2);
  // A new learner process (new connection, new source) still recognises it.
  await sink.send(msg('a', 1));
  const [[, fields]] = await t.cmd.xrangeBuffer(t.keys.traj, '-', '+');
  const src1 = t.trajectorySource('learner');
  const got1 = await src1.receive(10, 500);
  assert.equal(got1.map((m) => m.id), ['a/1#1']);
  await src1.ack(['a/1#1']);
  await t.cmd.xadd(t.keys.traj, '*', ...(fields as Buffer[]));
  const t2 = await connect(ns);
  const src2 = t2.trajectorySource('learner-2');
  assert.equal(await src2.receive(10, 300), []);
  assert.is(src2.stats.duplicates, 1);
  assert.is(await src2.depth(), 0);
});

test('trajectories: a restarted actor (new incarnation) reusing message ids is not mistaken for a duplicate', async () => {
  const t = await connect(freshNs());
  const src = t.trajectorySource('learner');
  const first = t.trajectorySink('a');
  await first.send(msg('a', 0));
  await src.ack((await src.receive(10, 500)).map((m) => m.id));
  const restarted = t.trajectorySink('a');
  assert.is(await restarted.getIncarnation(), (await first.getIncarnation()) + 1);
  await restarted.send(msg('a', 0, [7]));
  const got = await src.receive(10, 500);
  assert.equal(got.map((m) => [...m.payload]), [[7]]);
  assert.is(src.stats.duplicates, 0);
});

test('trajectories: messages held by a dead consumer are reclaimed after claimIdleMs; a restart under the same id gets them at once', async () => {
  const ns = freshNs();
  const producer = await connect(ns);
  const sink = producer.trajectorySink('a');
  for (let i = 0; i < 4; i++) await sink.send(msg('a', i));

  // A learner takes two and dies without acknowledging.
  const dying = await connect(ns);
  const held = await dying.trajectorySource('learner-x').receive(2, 500);
  assert.is(held.length, 2);
  await dying.close();

  // Its restart under the same consumer id sees its own pending entries immediately (no idle wait).
  const again = await connect(ns, { claimIdleMs: 60_000 });
  const srcAgain = again.trajectorySource('learner-x');
  const back = await srcAgain.receive(2, 0);
  assert.equal(back.map((m) => m.id), held.map((m) => m.id));
  await again.close();

  // A different consumer takes them over once they have been idle for claimIdleMs.
  const other = await connect(ns, { claimIdleMs: 200 });
  const src = other.trajectorySource('learner-y');
  const seen: string[] = [];
  for (let k = 0; k < 20 && seen.length < 4; k++) {
    const got = await src.receive(4, 200);
    seen.push(...got.map((m) => m.id));
    await src.ack(got.map((m) => m.id));
  }
  assert.equal(seen.sort(), ['a/1#0', 'a/1#1', 'a/1#2', 'a/1#3']);
  assert.is(src.stats.reclaimed, 2);
  assert.is(await src.depth(), 0);
});

test('weights: stored once per version, announced by number, fetched newest, old versions dropped', async () => {
  const ns = freshNs();
  const t = await connect(ns, { weightVersionsKept: 2 });
  const sub = t.weightSubscriber();
  await sub.ready();
  assert.is(sub.latestVersion(), -1);
  assert.is(await sub.fetch(-1), null);
  const announced = new Promise<number>((r) => sub.onVersion(r));
  const pub = t.weightPublisher();
  await pub.publish(1, new Uint8Array([1, 1, 1]));
  assert.is(await announced, 1);
  assert.is(sub.latestVersion(), 1);
  const w = await sub.fetch(-1);
  assert.is(w?.version, 1);
  assert.equal([...w!.bytes], [1, 1, 1]);
  assert.is(await sub.fetch(1), null);
  await pub.publish(2, new Uint8Array([2]));
  await pub.publish(5, new Uint8Array([5, 5]));
  const w5 = await sub.fetch(1);
  assert.is(w5?.version, 5);
  assert.equal([...w5!.bytes], [5, 5]);
  assert.is(await t.cmd.exists(t.keys.weight(1)), 0, 'version 1 is beyond the two kept');
  assert.is(await t.cmd.exists(t.keys.weight(2)), 1);
  assert.equal([...(await sub.fetchExact(2))!], [2]);
  assert.is(await sub.fetchExact(1), null);
  await rejects(pub.publish(5, new Uint8Array([0])), /not newer than the last published \(5\)/);
  // A second learner (resumed from an older checkpoint) is told where to continue.
  const resumed = (await connect(ns)).weightPublisher();
  assert.is(await resumed.latestPublished(), 5);
  await rejects(resumed.publish(3, new Uint8Array([3])), /not newer than version 5 already published/);
  // A subscriber that starts late learns the latest from Redis without an announcement.
  const late = (await connect(ns)).weightSubscriber();
  await late.ready();
  assert.is(late.latestVersion(), 5);
  // Pub/sub never carried a blob: the channel only ever sees numbers.
  const messages: string[] = [];
  const raw = await RedisTransport.connect({ url: server.url, namespace: ns }, { log: () => undefined });
  open.push(raw);
  const rawSub = raw.cmd.duplicate();
  await rawSub.subscribe(t.keys.weightAnnounce);
  rawSub.on('message', (_c: string, m: string) => messages.push(m));
  await pub.publish(6, new Uint8Array(100_000));
  for (let k = 0; k < 50 && messages.length === 0; k++) await new Promise((r) => setTimeout(r, 20));
  rawSub.disconnect();
  assert.equal(messages, ['6']);
});

test('annotations: requests reach the annotator, labels come back, a full backlog drops and counts', async () => {
  const ns = freshNs();
  const learner = await connect(ns, { annotationBacklog: 3 });
  const annotator = await connect(ns);
  const channel = learner.annotationChannel();
  const queue = annotator.annotationQueue('judge-1');
  const frame = { rgb: new Uint8Array([1, 2, 3, 4, 5, 6]), height: 1, width: 2 };
  channel.request([
    { key: 'k1', envId: 'E', caption: 'one', frame },
    { key: 'k2', envId: 'E', caption: 'two' },
    { key: 'k3', envId: 'E', caption: 'three' },
    { key: 'k4', envId: 'E', caption: 'four' },
    { key: 'k5', envId: 'E', caption: 'five' },
  ]);
  await channel.flushed();
  assert.is(channel.stats.dropped, 2);
  assert.is(await queue.depth(), 3);
  const work = await queue.receive(10, 500);
  assert.equal(work.map((w) => w.request.key), ['k1', 'k2', 'k3']);
  assert.equal([...work[0].request.frame!.rgb], [1, 2, 3, 4, 5, 6]);
  await queue.complete(work.map((w) => w.entryId), work.map((w) => ({ key: w.request.key, caption: w.request.caption, label: w.request.key === 'k2' ? 1 : 0 })));
  assert.is(await queue.depth(), 0);
  const labels = [];
  for (let k = 0; k < 100 && labels.length < 3; k++) {
    labels.push(...channel.drainLabels());
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(labels.map((l) => `${l.key}=${l.label}`), ['k1=0', 'k2=1', 'k3=0']);
  assert.equal(channel.drainLabels(), []);
});

test('annotations: requests held by a dead annotator are taken over', async () => {
  const ns = freshNs();
  const learner = await connect(ns);
  learner.annotationChannel().request([{ key: 'x', envId: 'E', caption: 'c' }]);
  const a1 = await connect(ns);
  let got: Awaited<ReturnType<ReturnType<RedisTransport['annotationQueue']>['receive']>> = [];
  for (let k = 0; k < 20 && got.length === 0; k++) got = await a1.annotationQueue('a1').receive(1, 200);
  assert.is(got.length, 1);
  await a1.close();
  const a2 = await connect(ns, { claimIdleMs: 150 });
  const q2 = a2.annotationQueue('a2');
  let again: typeof got = [];
  for (let k = 0; k < 20 && again.length === 0; k++) again = await q2.receive(1, 100);
  assert.equal(again.map((w) => w.request.key), ['x']);
  assert.is(q2.reclaimed, 1);
});

test('annotator service: labels flow back, repeated keys are answered from memory, unanswered requests are let go', async () => {
  const ns = freshNs();
  const learner = await connect(ns);
  const annotatorSide = await connect(ns);
  const channel = learner.annotationChannel();
  // A stand-in judge behind the AnnotationChannel interface: labels a key once (like rewards/' Annotator), never 'silent'.
  const judged: string[] = [];
  let outbox: AnnotationLabel[] = [];
  const judge: AnnotationChannel = {
    request(items: AnnotationRequest[]) {
      for (const r of items) {
        if (judged.includes(r.key) || r.key === 'silent') continue;
        judged.push(r.key);
        outbox.push({ key: r.key, caption: r.caption, label: r.caption.length });
      }
    },
    drainLabels() {
      const out = outbox;
      outbox = [];
      return out;
    },
  };
  const stop = new AbortController();
  const service = serveAnnotations(annotatorSide.annotationQueue('svc'), judge, { signal: stop.signal, claimIdleMs: 10_000, answerTimeoutMs: 200 });
  channel.request([{ key: 'a', envId: 'E', caption: 'xx' }, { key: 'silent', envId: 'E', caption: 's' }]);
  const labels: AnnotationLabel[] = [];
  const waitFor = async (n: number) => {
    for (let k = 0; k < 200 && labels.length < n; k++) {
      labels.push(...channel.drainLabels());
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor(1);
  channel.request([{ key: 'a', envId: 'E', caption: 'xx again' }]);
  await waitFor(2);
  for (let k = 0; k < 100 && (await annotatorSide.annotationQueue('probe').depth()) > 0; k++) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  const stats = await service;
  assert.equal(labels.map((l) => `${l.key}:${l.caption}:${l.label}`), ['a:xx:2', 'a:xx again:2']);
  assert.equal(judged, ['a'], 'the judge saw the key once');
  assert.equal(stats, { received: 3, labelled: 1, repeats: 1, unanswered: 1 });
  assert.is(await annotatorSide.annotationQueue('probe').depth(), 0);
});

test('purge deletes the namespace but keeps actor incarnations; a resumed learner continues above latestPublished()', async () => {
  const ns = freshNs();
  const t = await connect(ns);
  const sink = t.trajectorySink('a');
  await sink.send(msg('a', 0));
  const pub = t.weightPublisher();
  await pub.publish(4, new Uint8Array([4]));
  await t.cmd.set('unrelated', '1');
  assert.ok((await t.purge()) >= 3);
  assert.is(await t.cmd.exists('unrelated'), 1);
  assert.equal(await t.cmd.keys(`${ns}:*`), [t.keys.incarnation('a')]);
  assert.is(await t.trajectorySink('a').getIncarnation(), 2, 'a restart after a purge is still a new incarnation');

  assert.is(await t.weightPublisher().latestPublished(), -1, 'purge forgot the weights');
  const first = (await connect(ns)).weightPublisher();
  await first.publish(7, new Uint8Array([7]));
  const sub = t.weightSubscriber();
  assert.is((await sub.fetch(-1))?.version, 7);
  // A learner resumed from an older checkpoint (say version 3) publishes it above everything published.
  const again = (await connect(ns)).weightPublisher();
  await rejects(again.publish(3, new Uint8Array([3])), /not newer than version 7/);
  const next = (await again.latestPublished()) + 1;
  await again.publish(next, new Uint8Array([3]));
  const got = await sub.fetch(7);
  assert.is(got?.version, 8, 'a subscriber holding 7 takes the resumed weights');
  assert.equal([...got!.bytes], [3]);
});

test.run();
