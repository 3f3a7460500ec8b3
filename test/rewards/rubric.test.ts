import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RubricJudge, rubricLabel, captionKey, validateJudgeConfig, registerEnvFamily, type AnnotationRequest } from '../../rewards/index.ts';
import { GAME_MESSAGES, GAME_ENV_MESSAGES, COLORS, DIRECTIONS, fillTemplate, type GameMessageKind } from '../../envs/index.ts';

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

const HELPFUL: Record<GameMessageKind, number> = {
  pickUpKey: 1, doorLocked: 0, unlockDoor: 1, openDoor: 1, enterRoom: 1, bumpWall: 0, reachGoal: 1, move: 0,
};

test('rubric is in sync with every message the game envs emit', () => {
  assert.equal(Object.keys(GAME_MESSAGES).sort(), Object.keys(HELPFUL).sort(), 'envs added a message kind: classify it here and in rubric.ts');
  for (const [envId, kinds] of Object.entries(GAME_ENV_MESSAGES)) {
    for (const kind of kinds) {
      for (const color of COLORS) for (const direction of DIRECTIONS) {
        const msg = fillTemplate(GAME_MESSAGES[kind], { color, direction });
        assert.is(rubricLabel(envId, msg), HELPFUL[kind], `${envId}: ${msg}`);
      }
    }
  }
  assert.is(rubricLabel('MultiRoom-v0', `${GAME_MESSAGES.enterRoom} ${GAME_MESSAGES.reachGoal}`), 1);
});

test('text and tool env outcome messages', () => {
  assert.is(rubricLabel('Addition-v0', 'Answered "42": correct.'), 1);
  assert.is(rubricLabel('Addition-v0', 'Answered "41", expected "42": wrong.'), 0);
  assert.is(rubricLabel('Reverse-v0', 'No answer within 16 tokens.'), 0);
  assert.is(rubricLabel('ToolCalc-v0', 'Called calc(2*3.5) → 7.'), 1);
  assert.is(rubricLabel('ToolLookup-v0', "Unknown tool 'calk'; tools: calc, lookup."), 0);
  assert.is(rubricLabel('ToolCalc-v0', 'Malformed tool call (missing ")").'), 0);
  assert.is(rubricLabel('ToolCalc-v0', 'Tool calc failed: division by zero.'), 0);
  assert.is(rubricLabel('ToolCalc-v0', 'Turn limit of 4 tool calls reached.'), 0);
  assert.is(rubricLabel('ToolCalc-v0', 'Answered "7": correct.'), 1);
});

test('user env ids can declare their family', () => {
  assert.is(rubricLabel('MyGrid-v3', 'You reach the goal!'), 0);
  registerEnvFamily('MyGrid-v3', 'games');
  assert.is(rubricLabel('MyGrid-v3', 'You reach the goal!'), 1);
});

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
