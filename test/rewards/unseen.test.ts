/** Label accuracy of the reward models on captions the judge never labelled, against the rubric oracle. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  Annotator, ClassificationModel, RetrievalModel, RubricJudge, UnseenCaptionAccuracy, captionKey, rubricLabel,
  validateJudgeConfig, validateModelConfig, type ClassificationModelConfig, type RetrievalModelConfig, type RubricJudgeConfig,
} from '../../rewards/index.ts';
import { envOf } from './fixtures/env-context.ts';

await tf.setBackend('wasm');
await tf.ready();

const ENV = 'KeyDoor-v0';
const COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'grey', 'cyan', 'orange'];
const DIRS = ['north', 'south', 'east', 'west'];
const all = [
  ...COLORS.flatMap((c) => [`You pick up the ${c} key.`, `You unlock the door with the ${c} key.`]),
  ...DIRS.map((d) => `You move ${d}.`), 'You bump into a wall.', 'The door is locked.', 'You reach the goal!', 'You enter a new room.',
];

test('hand-made model: accuracy, balanced accuracy and counts on the unseen captions only', () => {
  const u = new UnseenCaptionAccuracy();
  u.observe(envOf(ENV), ['You pick up the red key.', 'You move north.', '', 'You move north.', 'You reach the goal!', 'The door is locked.']);
  u.labelled([{ key: 'k', caption: 'You move north.', label: 0 }]);
  // predicts helpful for everything: right on the 2 helpful captions, wrong on the locked door
  const m = u.metrics({ score: (cs) => new Float32Array(cs.length).fill(1) });
  assert.equal(m, { unseenCaptions: 3, unseenPositives: 2, unseenAccuracy: 2 / 3, unseenBalancedAccuracy: 0.5 });
  const perfect = u.metrics({ score: (cs) => Float32Array.from(cs, (c) => rubricLabel(envOf(ENV), c)) });
  assert.equal(perfect, m, 'cached: nothing changed since the last call');
  u.observe(envOf(ENV), ['You bump into a wall.']);
  assert.equal(u.metrics({ score: (cs) => Float32Array.from(cs, (c) => rubricLabel(envOf(ENV), c)) }),
    { unseenCaptions: 4, unseenPositives: 2, unseenAccuracy: 1, unseenBalancedAccuracy: 1 });
  u.labelled([{ key: 'p', caption: 'You reach the goal!', label: 1, pair: { other: 'You bump into a wall.', preferred: 0 } }]);
  u.observe(envOf(ENV), ['You reach the goal!']); // labelled: never unseen again
  assert.is(u.metrics({ score: (cs) => new Float32Array(cs.length) }).unseenCaptions, 2);
  const g = new UnseenCaptionAccuracy();
  g.observe({ id: 'MyEnv-v0', family: 'games' }, ['You reach the goal!']); // no rules written for this env (a plug-in): not tracked
  assert.is(g.metrics({ score: (cs) => new Float32Array(cs.length) }).unseenCaptions, 0);
});

test('under a caption budget: retrieval cannot reward unseen captions, the classification model generalises', () => {
  const judge = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig);
  // the judge labels only a few captions: key pickups of 3 colours, 2 moves, the wall
  const a = new Annotator(judge, { cacheDir: null, maxCaptions: 6 });
  const labelledFirst = ['You pick up the red key.', 'You pick up the green key.', 'You pick up the blue key.', 'You move north.', 'You move south.', 'You bump into a wall.'];
  a.request([...labelledFirst, ...all].map((c) => ({ key: captionKey(ENV, c), envId: ENV, caption: c })));
  const labels = a.drainLabels();
  assert.is(labels.length, 6);
  assert.equal(labels.map((l) => l.caption), labelledFirst);
  assert.is(a.metrics().captionsNotSent, all.length - 6);
  const retrieval = new RetrievalModel(validateModelConfig({ kind: 'retrieval' }) as RetrievalModelConfig);
  const clf = new ClassificationModel(validateModelConfig({ kind: 'classification', stepsPerUpdate: 300, heldOutFraction: 0, seed: 1 }) as ClassificationModelConfig);
  retrieval.update(labels);
  clf.update(labels);
  const tracker = () => { const u = new UnseenCaptionAccuracy(); u.labelled(labels); u.observe(envOf(ENV), all); return u; };
  const r = tracker().metrics(retrieval);
  assert.is(r.unseenCaptions, all.length - 6);
  assert.is(r.unseenBalancedAccuracy, 0.5, 'a lookup table says no to every unseen caption');
  const c = tracker().metrics(clf);
  assert.ok(c.unseenBalancedAccuracy > 0.6, `classification on unseen captions: ${JSON.stringify(c)}`);
  clf.dispose();
});

test.run();
