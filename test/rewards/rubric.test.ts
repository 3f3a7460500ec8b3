import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RubricJudge, rubricLabel, captionKey, validateJudgeConfig, type AnnotationRequest } from '../../rewards/index.ts';

const games: Array<[string, number]> = [
  ['You pick up the red key.', 1], ['You pick up the blue key.', 1], ['The door is locked.', 0],
  ['You unlock the door with the yellow key.', 1], ['You open the door.', 1], ['You enter a new room.', 1],
  ['You bump into a wall.', 0], ['You see the goal.', 1], ['You reach the goal!', 1], ['You move north.', 0],
  ['', 0], ['You move east. You see the goal.', 1], ['You see the goal', 0], ['Hello.', 0],
];
for (const envId of ['KeyDoor-v0', 'MultiRoom-v0', 'Maze-v0']) {
  test(`games rubric on ${envId}`, () => {
    for (const [caption, want] of games) assert.is(rubricLabel(envId, caption), want, caption);
  });
}

test('text and tools rubric', () => {
  assert.is(rubricLabel('Addition-v0', '17+25=42'), 1);
  assert.is(rubricLabel('Addition-v0', '17 + 25 = 43'), 0);
  assert.is(rubricLabel('Addition-v0', ' 42'), 1);
  assert.is(rubricLabel('Addition-v0', '4two'), 0);
  assert.is(rubricLabel('Reverse-v0', 'abc -> cba'), 1);
  assert.is(rubricLabel('Reverse-v0', 'abc -> abc'), 0);
  assert.is(rubricLabel('Sort-v0', 'cab -> abc'), 1);
  assert.is(rubricLabel('ToolCalc-v0', 'CALL calc(2+2) -> 4'), 1);
  assert.is(rubricLabel('ToolCalc-v0', 'CALL calc(2+) -> error: bad input'), 0);
  assert.is(rubricLabel('Unknown-v0', 'You reach the goal!'), 0);
});

const req = (envId: string, caption: string): AnnotationRequest => ({ key: captionKey(envId, caption), envId, caption });

test('noise flips a seeded, repeatable share of labels', async () => {
  const items = Array.from({ length: 400 }, (_, i) => req('KeyDoor-v0', i % 2 ? `You move ${i}.` : 'You open the door.' + ' '.repeat(i)));
  const clean = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as never);
  const noisy = new RubricJudge(validateJudgeConfig({ kind: 'rubric', noise: 0.25, seed: 7 }) as never);
  const a = clean.labelSync!(items), b = noisy.labelSync!(items), c = await noisy.label(items);
  const flips = a.filter((r, i) => (r as { label: number }).label !== (b[i] as { label: number }).label).length;
  assert.ok(flips > 60 && flips < 140, `flips=${flips}`);
  assert.equal(b, c);
  assert.is.not(clean.id, noisy.id);
});

test('latency makes the judge async-only', async () => {
  const slow = new RubricJudge(validateJudgeConfig({ kind: 'rubric', latencyMs: 20 }) as never);
  assert.is(slow.labelSync, undefined);
  const [r] = await slow.label([req('KeyDoor-v0', 'You reach the goal!')]);
  assert.equal(r, { ok: true, label: 1 });
  const [p] = await slow.compare([[req('KeyDoor-v0', 'You move west.'), req('KeyDoor-v0', 'You reach the goal!')]]);
  assert.equal(p, { ok: true, preferred: 1 });
});

test.run();
