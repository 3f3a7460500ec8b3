import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { BoundedQueue, InProcessTransport, TransportClosedError } from '../../runner/transport/inprocess.ts';
import { SharedWeights } from '../../runner/transport/shared-weights.ts';
import { frame, unframe, decodeBatch, type TrajectoryBatch } from '../../runner/trajectory.ts';

const msg = (i: number) => ({ id: `a:${i}`, actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([i]) });

test('bounded queue: a producer waits while the queue is full until the consumer acks', async () => {
  const q = new BoundedQueue<ReturnType<typeof msg>>(2);
  await q.push(msg(0));
  await q.push(msg(1));
  let third = false;
  const p = q.push(msg(2)).then(() => (third = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.is(third, false, 'blocked at capacity');
  const got = await q.take(1, 0);
  assert.is(got[0].id, 'a:0');
  await new Promise((r) => setTimeout(r, 20));
  assert.is(third, false, 'taken but unacked messages still count');
  q.ack(['a:0']);
  await p;
  assert.is(third, true);
  assert.is(q.depth, 2);
  assert.is(q.highWater, 2);
});

test('bounded queue: take waits for the first item up to the timeout; close rejects producers', async () => {
  const q = new BoundedQueue<ReturnType<typeof msg>>(1);
  const t0 = Date.now();
  assert.equal(await q.take(5, 30), []);
  assert.ok(Date.now() - t0 >= 25);
  const later = q.take(5, 1000);
  setTimeout(() => void q.push(msg(7)), 10);
  assert.is((await later)[0].id, 'a:7');
  const blocked = q.push(msg(8));
  q.close();
  try { await blocked; assert.unreachable(); } catch (e) { assert.instance(e, TransportClosedError); }
});

test('shared weights: versions, exact reads of the latest two, readLatest', () => {
  const w = SharedWeights.create(64);
  assert.is(w.latestVersion(), -1);
  assert.is(w.readLatest(-1), null);
  w.publish(0, new Uint8Array([1, 2, 3]));
  w.publish(1, new Uint8Array([4, 5]));
  assert.equal(Array.from(w.read(0)!), [1, 2, 3]);
  assert.equal(Array.from(w.read(1)!), [4, 5]);
  w.publish(2, new Uint8Array([6]));
  assert.is(w.read(0), null, 'only two versions are held');
  assert.equal(w.readLatest(1), { version: 2, bytes: new Uint8Array([6]) });
  assert.is(w.readLatest(2), null);
  assert.throws(() => w.publish(2, new Uint8Array(1)), /not newer/);
  assert.throws(() => w.publish(3, new Uint8Array(100)), /capacity/);
});

test('shared weights: another thread sees published versions without a copy per reader', async () => {
  const t = new InProcessTransport({ queueCapacity: 4, weightCapacity: 1024 });
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const ctrl = new Int32Array(workerData.sab, 0, 8);
    Atomics.wait(ctrl, 0, -1, 5000);
    const v = Atomics.load(ctrl, 0), slot = Atomics.load(ctrl, 1), len = Atomics.load(ctrl, 4 + slot);
    const bytes = new Uint8Array(workerData.sab, 32 + slot * workerData.capacity, len);
    parentPort.postMessage({ v, sum: bytes.reduce((a, b) => a + b, 0) });`;
  const w = new Worker(code, { eval: true, workerData: t.weightsHandle });
  const got = new Promise<{ v: number; sum: number }>((r) => w.once('message', r));
  await new Promise((r) => setTimeout(r, 50));
  await t.weightPublisher().publish(0, new Uint8Array([10, 20, 30]));
  assert.equal(await got, { v: 0, sum: 60 });
  const sub = t.weightSubscriber();
  assert.is(sub.latestVersion(), 0);
  assert.equal(Array.from((await sub.fetch(-1))!.bytes), [10, 20, 30]);
  assert.is(await sub.fetch(0), null);
  await w.terminate();
  await t.close();
});

test('trajectory batches survive framing with typed arrays intact', () => {
  const b: TrajectoryBatch = {
    actorId: 'a', taskIndex: 3, policyVersion: 2, faults: [], steps: 5, busyMs: 1, policyMs: 0.5,
    records: [{
      envId: 'E', seed: 9, group: 1, member: 0, actions: Int32Array.of(1, 2), logp: Float32Array.of(-0.5, -1),
      rewards: Float32Array.of(0, 1), messages: ['', 'x'], success: true, terminated: true, truncated: false, policyVersion: 2,
      obs: Float32Array.of(1, 2, 3, 4), obsDim: 2,
    }],
  };
  const { steps, policyVersion, payload } = unframe(frame(b));
  assert.is(steps, 5);
  assert.is(policyVersion, 2);
  const d = decodeBatch(payload);
  assert.instance(d.records[0].actions, Int32Array);
  assert.instance(d.records[0].obs, Float32Array);
  assert.equal(Array.from(d.records[0].logp), [-0.5, -1]);
  assert.equal(d.records[0].messages, ['', 'x']);
});

test.run();
