import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Annotator, RubricJudge, rubricLabel, rubricCoverage, captionKey, validateJudgeConfig, type AnnotationRequest, type RubricJudgeConfig } from '../../rewards/index.ts';
import { envOf } from './fixtures/env-context.ts';

const req = (envId: string, caption: string): AnnotationRequest => ({ key: captionKey(envId, caption), envId, caption });
import { GAME_MESSAGES, GAME_ENV_MESSAGES, COLORS, DIRECTIONS, fillTemplate, type GameMessageKind, DUNGEON_MESSAGES, DUNGEON_ORDINARY_ROOMS, makeEnvSync, Rng, type DungeonEnv } from '../../envs/index.ts';

const games: Array<[string, number]> = [
  ['You pick up the red key.', 1], ['You pick up the blue key.', 1], ['The door is locked.', 0],
  ['You unlock the door with the yellow key.', 1], ['You open the door.', 1], ['You enter a new room.', 1],
  ['You bump into a wall.', 0], ['You see the goal.', 1], ['You reach the goal!', 1], ['You move north.', 0],
  ['', 0], ['You move east. You see the goal.', 1], ['You see the goal', 0], ['Hello.', 0],
];
for (const envId of ['KeyDoor-v0', 'MultiRoom-v0', 'Maze-v0']) {
  test(`games rubric on ${envId}`, () => {
    for (const [caption, want] of games) assert.is(rubricLabel(envOf(envId), caption), want, caption);
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
        assert.is(rubricLabel(envOf(envId), msg), HELPFUL[kind], `${envId}: ${msg}`);
      }
    }
  }
  assert.is(rubricLabel(envOf('MultiRoom-v0'), `${GAME_MESSAGES.enterRoom} ${GAME_MESSAGES.reachGoal}`), 1);
});

test('text and tool env outcome messages', () => {
  assert.is(rubricLabel(envOf('Addition-v0'), 'Answered "42": correct.'), 1);
  assert.is(rubricLabel(envOf('Addition-v0'), 'Answered "41", expected "42": wrong.'), 0);
  assert.is(rubricLabel(envOf('Reverse-v0'), 'No answer within 16 tokens.'), 0);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'Called calc(2*3.5) → 7.'), 1);
  assert.is(rubricLabel(envOf('ToolLookup-v0'), "Unknown tool 'calk'; tools: calc, lookup."), 0);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'Malformed tool call (missing ")").'), 0);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'Tool calc failed: division by zero.'), 0);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'Turn limit of 4 tool calls reached.'), 0);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'Answered "7": correct.'), 1);
});

test("a plug-in env gets its family's generic rules from its context, with no registration", () => {
  const grid = { id: 'MyGrid-v3', family: 'games' } as const;
  assert.is(rubricLabel(grid, 'You reach the goal!'), 1);
  assert.is(rubricLabel(grid, 'You bump into a wall.'), 0);
  const text = { id: 'MyText-v0', family: 'text', goal: 'answer the riddle' } as const;
  assert.is(rubricLabel(text, 'Answered "fog": correct.'), 1);
  assert.is(rubricLabel(text, 'Answered "rain", expected "fog": wrong.'), 0);
  assert.is(rubricLabel(text, 'abc -> cba'), 0, "Reverse-v0's rule is not the text family's");
  assert.is(rubricLabel(envOf('Reverse-v0'), 'abc -> cba'), 1);
  assert.is(rubricLabel({ id: 'MyTools-v0', family: 'tools' }, 'Called search(fog) → 3 hits.'), 1);
  // The family comes from the context, never from the id: an env named like a built-in one of another family.
  assert.is(rubricLabel({ id: 'Addition-v0', family: 'tools' }, '17+25=42'), 0);
  assert.is(rubricLabel(envOf('Addition-v0'), '17+25=42'), 1);
  // Which envs have rules of their own (the runner warns for the others).
  for (const id of ['KeyDoor-v0', 'MultiRoom-v0', 'Maze-v0', 'Dungeon-v0', 'Addition-v0', 'Reverse-v0', 'Sort-v0', 'ToolCalc-v0', 'ToolLookup-v0', 'ToolChain-v0', 'ToolMix-v0']) {
    assert.is(rubricCoverage(envOf(id)), null, id);
  }
  assert.match(rubricCoverage(grid)!, /GAME_RULES/);
  assert.match(rubricCoverage(text)!, /outcome messages/);
});

test('RubricJudge: labels by the context it was built with (items may name the env by its path); without one, by the registry', () => {
  const path = '/somewhere/my-grid.ts';
  const withContext = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig, { id: 'MyGrid', family: 'games' });
  assert.equal(withContext.labelSync!([req(path, 'You open the door.'), req(path, 'You move north.')]), [{ ok: true, label: 1 }, { ok: true, label: 0 }]);
  assert.is(withContext.id, 'rubric-v2-generic-games-noise0-seed0', 'generic rules: a cache of their own');
  assert.is(new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig, envOf('KeyDoor-v0')).id, 'rubric-v2-noise0-seed0');
  const bare = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig);
  assert.equal(bare.labelSync!([req(path, 'You open the door.'), req('KeyDoor-v0', 'You open the door.')]), [{ ok: true, label: 0 }, { ok: true, label: 1 }]);
});

test('text and tools rubric', () => {
  assert.is(rubricLabel(envOf('Addition-v0'), '17+25=42'), 1);
  assert.is(rubricLabel(envOf('Addition-v0'), '17 + 25 = 43'), 0);
  assert.is(rubricLabel(envOf('Addition-v0'), ' 42'), 1);
  assert.is(rubricLabel(envOf('Addition-v0'), '4two'), 0);
  assert.is(rubricLabel(envOf('Reverse-v0'), 'abc -> cba'), 1);
  assert.is(rubricLabel(envOf('Reverse-v0'), 'abc -> abc'), 0);
  assert.is(rubricLabel(envOf('Sort-v0'), 'cab -> abc'), 1);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'CALL calc(2+2) -> 4'), 1);
  assert.is(rubricLabel(envOf('ToolCalc-v0'), 'CALL calc(2+) -> error: bad input'), 0);
});


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

// ───────────── noise is reproducible (seeded) ─────────────

const noisyJudge = (seed: number, noise = 0.3, latencyMs = 0) =>
  new RubricJudge(validateJudgeConfig({ kind: 'rubric', noise, seed, latencyMs }) as RubricJudgeConfig);
const pool = Array.from({ length: 300 }, (_, i) => req(i % 3 ? 'Addition-v0' : 'KeyDoor-v0', i % 2 ? `You move ${i}.` : `${i} + 1 = ${i + 1}`));
const flipped = (j: RubricJudge, items = pool) => items.filter((it) => j.labelOf(it) !== rubricLabel(envOf(it.envId), it.caption)).map((it) => it.caption);

test('noise: independent judges with one seed agree whatever the batching and order', () => {
  const a = noisyJudge(11), b = noisyJudge(11);
  const whole = a.labelSync!(pool).map((r) => (r as { label: number }).label);
  const reversed = [...pool].reverse();
  const piecewise = [b.labelSync!(reversed.slice(0, 7)), b.labelSync!(reversed.slice(7, 150)), b.labelSync!(reversed.slice(150))]
    .flat().map((r) => (r as { label: number }).label).reverse();
  assert.equal(piecewise, whole);
  assert.ok(flipped(a).length > 0);
});

test('noise: different seeds flip different captions at the same rate; seeds 2^32 apart differ too', () => {
  const rate = (j: RubricJudge) => flipped(j).length / pool.length;
  const s1 = flipped(noisyJudge(1)), s2 = flipped(noisyJudge(2));
  assert.not.equal(s1, s2);
  for (const seed of [1, 2, -5, 2 ** 32, 2 ** 40]) {
    const r = rate(noisyJudge(seed));
    assert.ok(r > 0.2 && r < 0.4, `seed ${seed}: flip rate ${r}`);
  }
  assert.not.equal(flipped(noisyJudge(0)), flipped(noisyJudge(2 ** 32)));
  assert.not.equal(flipped(noisyJudge(-1)), flipped(noisyJudge(2 ** 32 - 1)));
});

test('noise: the annotator delivers the same noisy labels sync and async (keyed by caption)', async () => {
  const byKey = async (latencyMs: number) => {
    const a = new Annotator(noisyJudge(4, 0.4, latencyMs), { cacheDir: null, batchSize: 13 });
    a.request(pool);
    await a.idle();
    const out = Object.fromEntries(a.drainLabels().map((l) => [l.key, l.label]));
    await a.close();
    return out;
  };
  const sync = await byKey(0), async_ = await byKey(1);
  assert.is(Object.keys(sync).length, pool.length);
  assert.equal(async_, sync);
});

const GOLDEN = [1, 3, 5, 6, 9, 11, 16];
test('noise: a fixed seed gives the same flips in every process (golden set, guards the hash)', () => {
  // Computed once from hashUniform at seed 3, noise 0.3 on these captions; a change here means cached
  // noisy labels of earlier runs no longer match what the judge would say (bump RUBRIC_VERSION then).
  const items = Array.from({ length: 20 }, (_, i) => req('KeyDoor-v0', `You move ${i}.`));
  const j = noisyJudge(3);
  assert.equal(items.map((it, i) => (j.labelOf(it) === 1 ? i : -1)).filter((i) => i >= 0), GOLDEN);
});

test('Dungeon-v0: the rubric labels exactly the progress sentences of every caption table helpful', () => {
  const D = DUNGEON_MESSAGES;
  const helpful: Record<keyof typeof D, boolean> = {
    enter: false, back: false, bump: false, bumpDoorway: false, keyPickup: true, unlock: true, locked: false, claim: true,
    openDoor: false, featureHere: false, itemPickup: false, see: false, monsterMove: false, swap: false, noises: false,
  };
  assert.equal(Object.keys(D).sort(), Object.keys(helpful).sort(), 'envs added a Dungeon-v0 table: classify it here and in rubric.ts');
  for (const [table, value] of Object.entries(D)) {
    const sentences = typeof value === 'string' ? [value] : value;
    sentences.forEach((m, i) => {
      const want = table === 'enter' ? i >= DUNGEON_ORDINARY_ROOMS : helpful[table as keyof typeof D];
      assert.is(rubricLabel(envOf('Dungeon-v0'), m), want ? 1 : 0, `${table}[${i}]: ${m}`);
      assert.is(rubricLabel(envOf('Dungeon-v0'), `You hear a low rumble. ${m}`), want ? 1 : 0, `joined: ${m}`);
    });
  }
  // Other games' rules do not leak in.
  for (const m of ['You open the door.', 'You enter a new room.', 'You reach the goal!']) assert.is(rubricLabel(envOf('Dungeon-v0'), m), 0, m);
});

test("Dungeon-v0: the rubric's label of every step's caption is the env's own progress flag", () => {
  for (const options of [{}, { locks: 2 }]) {
    const env = makeEnvSync<DungeonEnv>('Dungeon-v0', options);
    const rng = new Rng(3);
    let helpfulSteps = 0;
    for (let seed = 0; seed < 150; seed++) {
      env.reset({ seed });
      const guided = seed % 2 === 0; // half the episodes follow the solver, with random detours, to reach the later events
      for (;;) {
        const plan = guided ? env.solve() : null;
        const a = plan && plan.length && rng.float() < 0.8 ? plan[0] : rng.int(4);
        const s = env.step(a);
        const label = rubricLabel(envOf('Dungeon-v0'), s.info.message);
        assert.is(label, env.lastStepProgress ? 1 : 0, `${JSON.stringify(options)} seed ${seed}: ${JSON.stringify(s.info.message)}`);
        helpfulSteps += label;
        if (s.terminated || s.truncated) break;
      }
    }
    assert.ok(helpfulSteps > 150, `${helpfulSteps} progress steps seen`);
  }
});

test.run();
