import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  createRewardModel, validateModelConfig, rubricLabel, captionKey, type AnnotationLabel, type RewardModel,
} from '../../rewards/index.ts';
import { envOf } from './fixtures/env-context.ts';

await tf.setBackend('wasm');
await tf.ready();

const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'grey', 'white', 'black', 'orange', 'pink'];
const DIRS = ['north', 'south', 'east', 'west'];
/** Game captions; the colour/direction variety gives captions the judge never saw. */
function captions(): string[] {
  const out: string[] = [];
  for (const c of COLORS) out.push(`You pick up the ${c} key.`, `You unlock the door with the ${c} key.`);
  for (const d of DIRS) out.push(`You move ${d}.`);
  out.push('You bump into a wall.', 'The door is locked.', 'You open the door.', 'You enter a new room.', 'You see the goal.', 'You reach the goal!');
  return out;
}
const label = (caption: string): AnnotationLabel => ({ key: captionKey('KeyDoor-v0', caption), caption, label: rubricLabel(envOf('KeyDoor-v0'), caption) });

test('retrieval: table lookup, 0 for unknown and empty, pairs ignored', () => {
  const m = createRewardModel(validateModelConfig({ kind: 'retrieval' }));
  const met = m.update([label('You open the door.'), label('You bump into a wall.'),
    { key: 'p', caption: 'a', label: 1, pair: { other: 'b', preferred: 0 } }]);
  assert.equal(Array.from(m.score(['You open the door.', 'You bump into a wall.', 'never seen', ''])), [1, 0, 0, 0]);
  assert.is(met.trained, 2);
  assert.is(met.ignored, 1);
  assert.is(met.prequentialAccuracy, 0.5); // before learning: door predicted 0 (wrong), wall 0 (right)
  const copy = createRewardModel(validateModelConfig({ kind: 'retrieval' }));
  copy.load(JSON.parse(JSON.stringify(m.save())));
  assert.equal(Array.from(copy.score(['You open the door.'])), [1]);
  assert.throws(() => copy.load({ kind: 'ranking', version: 1 }), /expected a retrieval state/);
});

test('retrieval by key: frame labels (empty caption) are found by their annotation key', () => {
  const m = createRewardModel(validateModelConfig({ kind: 'retrieval' })) as import('../../rewards/index.ts').RetrievalModel;
  m.update([{ key: 'frame-a', caption: '', label: 0.8 }, { key: 'frame-b', caption: '', label: 0.1 }]);
  assert.equal(Array.from(m.scoreKeys(['frame-a', 'frame-b', 'frame-c'])), [Math.fround(0.8), Math.fround(0.1), 0]);
  assert.equal(Array.from(m.score([''])), [0]);
});

const learned: Array<['classification' | 'ranking', Record<string, unknown>]> = [
  ['classification', { kind: 'classification', stepsPerUpdate: 30, heldOutFraction: 0.3, seed: 1 }],
  ['ranking', { kind: 'ranking', stepsPerUpdate: 30, heldOutFraction: 0.3, seed: 1 }],
];

for (const [name, cfg] of learned) {
  test(`${name}: learns from labels, generalises to held-out captions, saves and loads`, () => {
    const before = tf.memory().numTensors;
    const m: RewardModel = createRewardModel(validateModelConfig(cfg));
    const all = captions().map(label);
    let met = m.metrics();
    for (let round = 0; round < 8; round++) met = m.update(all);
    assert.ok(met.heldOut > 3, `heldOut=${met.heldOut}`);
    assert.ok(met.heldOutAccuracy >= 0.8, `held-out accuracy ${met.heldOutAccuracy}`);
    assert.ok(Number.isFinite(met.loss));
    const s = m.score(['You pick up the cyan key.', 'You move up.', '']);
    assert.ok(s[0]! > 0, `unseen helpful caption scored ${s[0]}`);
    assert.is(s[1], 0);
    assert.is(s[2], 0);
    const copy = createRewardModel(validateModelConfig(cfg));
    copy.load(JSON.parse(JSON.stringify(m.save())));
    assert.equal(Array.from(copy.score(all.map((l) => l.caption))), Array.from(m.score(all.map((l) => l.caption))));
    assert.throws(() => copy.load({ kind: 'retrieval', version: 1 }), new RegExp(`expected a ${name} state`));
    m.dispose(); copy.dispose();
    assert.is(tf.memory().numTensors, before);
  });
}

test('ranking learns from pairwise preferences alone', () => {
  const m = createRewardModel(validateModelConfig({ kind: 'ranking', stepsPerUpdate: 40, heldOutFraction: 0, seed: 2 }));
  const good = captions().filter((c) => rubricLabel(envOf('KeyDoor-v0'), c) === 1);
  const bad = captions().filter((c) => rubricLabel(envOf('KeyDoor-v0'), c) === 0);
  const pairs: AnnotationLabel[] = good.map((g, i) => {
    const b = bad[i % bad.length]!;
    return i % 2
      ? { key: `${i}`, caption: g, label: 1, pair: { other: b, preferred: 0 } }
      : { key: `${i}`, caption: b, label: 0, pair: { other: g, preferred: 1 } };
  });
  for (let r = 0; r < 6; r++) m.update(pairs);
  const sg = m.score(good), sb = m.score(bad);
  const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(sg) > mean(sb) + 0.3, `good ${mean(sg)} vs bad ${mean(sb)}`);
  assert.ok(m.metrics().prequentialAccuracy > 0.5);
  m.dispose();
});

test('classification ignores pairs and junk, counts them', () => {
  const m = createRewardModel(validateModelConfig({ kind: 'classification' }));
  const met = m.update([{ key: 'a', caption: 'x', label: NaN }, { key: 'b', caption: '', label: 1 },
    { key: 'c', caption: 'y', label: 1, pair: { other: 'z', preferred: 0 } }]);
  assert.is(met.ignored, 3);
  assert.is(met.trained, 0);
  m.dispose();
});

test.run();
