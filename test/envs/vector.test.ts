import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SyncVectorEnv, makeEnvSync, Rng, defaultTokenizer } from '../../envs/index.ts';

test("SyncVectorEnv: 'next-step' autoreset — the step after an episode ends ignores the action and resets", () => {
  const N = 4;
  const vec = SyncVectorEnv.makeSync('KeyDoor-v0', N, { size: 5, maxSteps: 7 });
  assert.is(vec.autoresetMode, 'next-step');
  const singles = Array.from({ length: N }, () => makeEnvSync('KeyDoor-v0', { size: 5, maxSteps: 7 }));
  let r = vec.reset({ seed: 10 });
  const size = vec.obsSize;
  assert.is(r.obs.length, N * size);
  const sObs = singles.map((e, i) => Float32Array.from(e.reset({ seed: 10 + i }).obs));
  for (let i = 0; i < N; i++) assert.equal(Array.from(r.obs.subarray(i * size, (i + 1) * size)), Array.from(sObs[i]));
  const rng = new Rng(3);
  const pending = new Array(N).fill(false);
  let sawAutoreset = 0;
  for (let t = 0; t < 40; t++) {
    const actions = Int32Array.from({ length: N }, () => rng.int(4));
    r = vec.step(actions);
    for (let i = 0; i < N; i++) {
      let expected: Float32Array;
      if (pending[i]) {
        assert.is(r.autoresetMask[i], 1);
        assert.is(r.rewards[i], 0);
        assert.is(r.terminated[i] + r.truncated[i], 0);
        assert.is(r.infos[i].autoreset, true);
        expected = singles[i].reset().obs;
        pending[i] = false;
        sawAutoreset++;
      } else {
        assert.is(r.autoresetMask[i], 0);
        const s = singles[i].step(actions[i]);
        assert.is(r.rewards[i], s.reward);
        assert.is(r.terminated[i], s.terminated ? 1 : 0);
        assert.is(r.truncated[i], s.truncated ? 1 : 0);
        assert.is(r.infos[i].message, s.info.message);
        pending[i] = s.terminated || s.truncated;
        expected = s.obs;
      }
      assert.equal(Array.from(r.obs.subarray(i * size, (i + 1) * size)), Array.from(expected), `env ${i} step ${t}`);
    }
  }
  assert.ok(sawAutoreset >= N, `autoresets seen: ${sawAutoreset}`);
});

test('SyncVectorEnv over token envs: right-padded Int32 batch with lengths', () => {
  const vec = SyncVectorEnv.makeSync('Addition-v0', 3, { digits: 2 });
  const r = vec.reset({ seed: 1 });
  assert.ok(r.obs instanceof Int32Array && r.lengths instanceof Int32Array);
  for (let i = 0; i < 3; i++) {
    const row = r.obs.subarray(i * vec.obsSize, (i + 1) * vec.obsSize);
    const len = r.lengths![i];
    assert.is(row[0], defaultTokenizer.bos);
    assert.match(defaultTokenizer.decode(row.subarray(0, len)), /^\d+\+\d+=$/);
    for (let j = len; j < row.length; j++) assert.is(row[j], defaultTokenizer.pad);
  }
  const r2 = vec.step([defaultTokenizer.charId('7'), defaultTokenizer.charId('7'), defaultTokenizer.eos]);
  assert.is(r2.lengths![0], r.lengths![0]); // same buffer object, updated in place
  assert.is(r2.terminated[2], 1);
  assert.throws(() => vec.step([1]), /expected 3 actions/);
});

test.run();
