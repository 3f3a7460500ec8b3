import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { combineRewards, combineWithModel, createAnnotator, IntrinsicRewarder, validateRewardsConfig, captionKey } from '../../rewards/index.ts';

const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-6, `[${i}] ${a[i]} vs ${v}`));

test('r_t = c_ext r_ext + c_int r_int N^-beta with per-episode counts', () => {
  const msgs = ['key', 'key', '', 'door', 'key'];
  const out = combineRewards(msgs, [0, 0, 0, 0, 1], [1, 1, 1, 0.5, 1], { cExt: 10, cInt: 0.4, beta: 3 });
  close(out.intrinsic, [0.4, 0.4 / 8, 0, 0.2, 0.4 / 27]);
  close(out.rewards, [0.4, 0.05, 0, 0.2, 10 + 0.4 / 27]);
  assert.ok(Math.abs(out.intrinsicSum - (0.4 + 0.05 + 0.2 + 0.4 / 27)) < 1e-6);
  assert.is(out.extrinsicSum, 1);
});

test('beta 0 does not decay; empty messages get nothing', () => {
  const out = combineRewards(['a', 'a', ''], [0, 0, 0], [1, 1, 1], { cExt: 1, cInt: 1, beta: 0 });
  close(out.intrinsic, [1, 1, 0]);
});

test('length mismatch is an error', () => {
  assert.throws(() => combineRewards(['a'], [0, 0], [0], { cExt: 1, cInt: 1, beta: 1 }), /same length/);
});

test('combineWithModel scores distinct messages once', () => {
  let calls = 0, seen: string[] = [];
  const model = { score: (c: string[]) => { calls++; seen = c; return Float32Array.from(c, (m) => (m === 'good' ? 1 : 0)); } };
  const out = combineWithModel(['good', 'bad', 'good', ''], [0, 0, 0, 0], model, { cExt: 1, cInt: 1, beta: 1 });
  assert.is(calls, 1);
  assert.equal(seen, ['good', 'bad']);
  close(out.intrinsic, [1, 0, 0.5, 0]);
});

test('validation is idempotent on a full config', () => {
  for (const partial of [{}, { judge: { kind: 'llm' } }, { judge: { kind: 'perceptual', encoder: { kind: 'tfjs', path: 'm.json' } }, model: { kind: 'ranking' } }]) {
    const full = validateRewardsConfig(partial);
    assert.equal(validateRewardsConfig(JSON.parse(JSON.stringify(full))), full);
  }
});

test('default pipeline end to end: rubric annotator → retrieval model → combined episode rewards', async () => {
  const annotator = await createAnnotator({ annotator: { cacheDir: null } });
  const rewarder = new IntrinsicRewarder({});
  const episode = ['', 'You pick up the red key.', 'You bump into a wall.', 'You pick up the red key.', 'You reach the goal!'];
  annotator.request([...new Set(episode.filter(Boolean))].map((caption) => ({ key: captionKey('KeyDoor-v0', caption), envId: 'KeyDoor-v0', caption })));
  rewarder.update(annotator.drainLabels());
  const out = rewarder.combine(episode, [0, 0, 0, 0, 1]);
  close(out.intrinsic, [0, 0.4, 0, 0.05, 0.4]);
  close(out.rewards, [0, 0.4, 0, 0.05, 10.4]);
  await annotator.close();
});

test.run();
