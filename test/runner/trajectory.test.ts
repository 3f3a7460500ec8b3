/**
 * Actor output framing (runner/trajectory.ts): observations travel as one raw float32 region beside the
 * msgpack body and come back per record, as views when the buffer is aligned and as copies when not
 * (a Redis reply can start anywhere); plain msgpack bodies (encodeBatch) still decode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBatch, encodeBatch, frame, unframe, type TrajectoryBatch, type TrajectoryRecord } from '../../runner/trajectory.ts';

const rec = (member: number, obs?: Float32Array): TrajectoryRecord => ({
  envId: 'E', seed: 1, group: 0, member, actions: Int32Array.of(member), logp: Float32Array.of(-1), rewards: Float32Array.of(member),
  messages: [`m${member}`], success: false, terminated: true, truncated: false, policyVersion: 3, ...(obs ? { obs, obsDim: 2 } : {}),
});
const batch = (records: TrajectoryRecord[]): TrajectoryBatch => ({ actorId: 'a', taskIndex: 0, policyVersion: 3, records, faults: [], steps: 7, busyMs: 1, policyMs: 1 });

test('observations of several records come back in order, as views into the received buffer', () => {
  const big = new Float32Array(100).map((_, i) => i / 2);
  const b = batch([rec(0, big.subarray(10, 14)), rec(1), rec(2, Float32Array.of(-1, -2))]);
  const { steps, policyVersion, payload } = unframe(frame(b));
  assert.is(steps, 7);
  assert.is(policyVersion, 3);
  const d = decodeBatch(payload);
  assert.equal(Array.from(d.records[0]!.obs!), [5, 5.5, 6, 6.5]);
  assert.instance(d.records[0]!.obs, Float32Array);
  assert.is(d.records[1]!.obs, undefined);
  assert.equal(Array.from(d.records[2]!.obs!), [-1, -2]);
  assert.is(d.records[0]!.obs!.buffer, payload.buffer, 'a view, not a copy');
  assert.not.ok('obsAt' in d.records[0]!);
  assert.equal(d.records[2]!.messages, ['m2']);
});

test('an unaligned payload is copied, and plain msgpack bodies still decode', () => {
  const framed = frame(batch([rec(0, Float32Array.of(1, 2, 3))]));
  const shifted = new Uint8Array(framed.byteLength + 1);
  shifted.set(framed, 1);
  const d = decodeBatch(unframe(shifted.subarray(1)).payload);
  assert.equal(Array.from(d.records[0]!.obs!), [1, 2, 3]);
  const plain = decodeBatch(encodeBatch(batch([rec(0, Float32Array.of(5, 6))])));
  assert.equal(Array.from(plain.records[0]!.obs!), [5, 6]);
  assert.throws(() => decodeBatch(frame(batch([rec(0, Float32Array.of(1, 2))])).subarray(8, 16)), /cannot hold/);
});

test.run();
