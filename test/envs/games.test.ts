import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeEnvSync, checkEnv, GridEnv, GRID_CHANNELS, GAME_MESSAGES, COLORS, Rng, hashBytes } from '../../envs/index.ts';

const CONFIGS: Array<[string, Record<string, unknown>]> = [
  ['KeyDoor-v0', {}],
  ['KeyDoor-v0', { size: 8, keyDistance: 'far', split: 'test' }],
  ['MultiRoom-v0', {}],
  ['MultiRoom-v0', { numRooms: 5, roomSize: 3, lockedDoors: 2 }],
  ['Maze-v0', {}],
  ['Maze-v0', { size: 6, lockedDoor: true, loops: 2, timePenalty: true, moveMessages: true }],
];

for (const [id, opts] of CONFIGS) {
  test(`${id} ${JSON.stringify(opts)} passes checkEnv`, () => {
    const report = checkEnv(makeEnvSync(id, opts), { makeAnother: () => makeEnvSync(id, opts) });
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
  });
}

const MOVES: Record<string, [number, number]> = { 0: [0, -1], 1: [1, 0], 2: [0, 1], 3: [-1, 0] };

/** BFS over the text map to a target char, passing through the given chars; returns the action list. */
function planTo(env: GridEnv, targets: string, passable: string): number[] | null {
  const rows = env.toText().split('\n');
  const [sx, sy] = env.agentXY();
  const prev = new Map<string, [string, number]>();
  const queue: Array<[number, number]> = [[sx, sy]];
  const seen = new Set([`${sx},${sy}`]);
  while (queue.length) {
    const [x, y] = queue.shift()!;
    if (targets.includes(rows[y][x]) && !(x === sx && y === sy)) {
      const acts: number[] = [];
      for (let k = `${x},${y}`; prev.has(k);) { const [p, a] = prev.get(k)!; acts.unshift(a); k = p; }
      return acts;
    }
    if (!(x === sx && y === sy) && !passable.includes(rows[y][x])) continue;
    for (const a of [0, 1, 2, 3]) {
      const [dx, dy] = MOVES[a];
      const k = `${x + dx},${y + dy}`;
      if (!seen.has(k) && rows[y + dy][x + dx] !== '#') { seen.add(k); prev.set(k, [`${x},${y}`, a]); queue.push([x + dx, y + dy]); }
    }
  }
  return null;
}

test('KeyDoor: locked door blocks, key opens it, goal pays 1 and terminates — with the exact messages', () => {
  for (let seed = 0; seed < 10; seed++) {
    const env = makeEnvSync<GridEnv>('KeyDoor-v0', { size: 6 });
    env.reset({ seed });
    const messages: string[] = [];
    const run = (acts: number[]) => { let last; for (const a of acts) { last = env.step(a); messages.push(last.info.message); } return last!; };
    // Walk into the locked door without the key first.
    const toDoor = planTo(env, 'L', '.');
    if (toDoor) { // (unless the key lies on every path to the door)
      const mid = run(toDoor);
      assert.is(mid.info.message, GAME_MESSAGES.doorLocked);
      assert.is(mid.reward, 0);
    }
    run(planTo(env, 'k', '.')!);
    assert.ok(messages.some((m) => /^You pick up the (red|green|blue|purple|yellow|grey) key\.$/.test(m)), messages.join('|'));
    const obs = env.step(0).obs; // any step: carrying plane must now be set
    const P = env.width * env.height;
    assert.is(obs[GRID_CHANNELS.indexOf('carrying') * P], 1);
    run(planTo(env, 'L', '.k')!);
    assert.ok(messages.some((m) => m.startsWith('You unlock the door with the ')), messages.join('|'));
    const end = run(planTo(env, 'G', './k')!);
    assert.is(end.reward, 1);
    assert.ok(end.terminated && !end.truncated && end.info.success === true);
    assert.ok(messages.includes(GAME_MESSAGES.enterRoom) || messages.includes(`${GAME_MESSAGES.enterRoom} ${GAME_MESSAGES.reachGoal}`), messages.join('|'));
    assert.throws(() => env.step(0), /after the episode ended/);
  }
});

test('MultiRoom: closed doors open by walking into them and entering rooms is announced', () => {
  const env = makeEnvSync<GridEnv>('MultiRoom-v0', { numRooms: 3, roomSize: 3 });
  env.reset({ seed: 5 });
  const messages: string[] = [];
  let last;
  for (let guard = 0; guard < 50; guard++) {
    const acts = planTo(env, 'DG', './')!;
    for (const a of acts) { last = env.step(a); messages.push(last.info.message); }
    if (last!.terminated) break;
  }
  assert.ok(last!.terminated && last!.reward === 1);
  assert.is(messages.filter((m) => m === GAME_MESSAGES.openDoor).length, 2);
  assert.ok(messages.filter((m) => m.startsWith(GAME_MESSAGES.enterRoom)).length === 2, messages.join('|'));
});

test('walls bump, obs is one-hot per cell type, timePenalty shapes the reward', () => {
  const env = makeEnvSync<GridEnv>('Maze-v0', { size: 3, timePenalty: true, maxSteps: 100 });
  const { obs } = env.reset({ seed: 2 });
  const P = env.width * env.height;
  // Every border cell is a wall; exactly one agent cell; exactly one goal.
  const plane = (name: (typeof GRID_CHANNELS)[number]) => obs.subarray(GRID_CHANNELS.indexOf(name) * P, (GRID_CHANNELS.indexOf(name) + 1) * P);
  assert.is(plane('agent').reduce((a, b) => a + b, 0), 1);
  assert.is(plane('goal').reduce((a, b) => a + b, 0), 1);
  for (let x = 0; x < env.width; x++) assert.is(plane('wall')[x], 1);
  const rows = env.toText().split('\n');
  const [ax, ay] = env.agentXY();
  const wallDir = [0, 1, 2, 3].find((a) => rows[ay + MOVES[a][1]][ax + MOVES[a][0]] === '#')!;
  const s = env.step(wallDir);
  assert.is(s.info.message, GAME_MESSAGES.bumpWall);
  assert.equal(env.agentXY(), [ax, ay]);
  const acts = planTo(env, 'G', '.')!;
  let last;
  for (const a of acts) last = env.step(a);
  const t = acts.length + 1;
  assert.ok(Math.abs(last!.reward - (1 - 0.9 * t / 100)) < 1e-9);
});

test('train and test splits are disjoint sets of levels', () => {
  const hashes = { train: new Set<number>(), test: new Set<number>() };
  for (const split of ['train', 'test'] as const) {
    const env = makeEnvSync<GridEnv>('KeyDoor-v0', { size: 6, split });
    for (let seed = 0; seed < 300; seed++) {
      const { obs } = env.reset({ seed });
      hashes[split].add(hashBytes(new Uint8Array(obs.buffer.slice(0))));
    }
  }
  assert.ok(hashes.train.size > 20 && hashes.test.size > 10, `${hashes.train.size} / ${hashes.test.size}`);
  for (const h of hashes.test) assert.not.ok(hashes.train.has(h));
});

function randomSuccessRate(id: string, opts: Record<string, unknown>, episodes = 100): number {
  const env = makeEnvSync(id, opts);
  const rng = new Rng(9);
  let wins = 0;
  for (let ep = 0; ep < episodes; ep++) {
    env.reset({ seed: ep });
    for (;;) { const s = env.step(rng.int(4)); if (s.terminated || s.truncated) { if (s.info.success) wins++; break; } }
  }
  return wins / episodes;
}

const EXPLORATION: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['KeyDoor-v0', { size: 5 }, { size: 16, keyDistance: 'far' }],
  ['MultiRoom-v0', { numRooms: 2, roomSize: 3 }, { numRooms: 6, roomSize: 4, lockedDoors: 3, maxSteps: 300 }],
  ['Maze-v0', { size: 2 }, { size: 12, lockedDoor: true, maxSteps: 300 }],
];

for (const [id, easy, hard] of EXPLORATION) {
  test(`random exploration: ${id} easy settings are solved by chance, hard ones almost never`, () => {
    const e = randomSuccessRate(id, easy), h = randomSuccessRate(id, hard);
    assert.ok(e > 0.3, `easy ${e}`);
    assert.ok(h < 0.05, `hard ${h}`);
  });
}

const SOLVABLE: Array<[string, Record<string, unknown>]> = [
  ['KeyDoor-v0', {}], ['KeyDoor-v0', { size: 12, keyDistance: 'far' }],
  ['MultiRoom-v0', {}], ['MultiRoom-v0', { numRooms: 6, roomSize: 4, lockedDoors: 5 }], ['MultiRoom-v0', { numRooms: 9, roomSize: 2, lockedDoors: 3, split: 'test' }],
  ['Maze-v0', {}], ['Maze-v0', { size: 8, lockedDoor: true }], ['Maze-v0', { size: 5, lockedDoor: true, loops: 4, goal: 'random' }],
];

for (const [id, opts] of SOLVABLE) {
  test(`every ${id} ${JSON.stringify(opts)} level is solvable within maxSteps (solver replayed in the env)`, () => {
    const env = makeEnvSync<GridEnv>(id, opts);
    for (let seed = 0; seed < 60; seed++) {
      env.reset({ seed });
      const level = env.toText();
      const plan = env.solve();
      assert.ok(plan, `seed ${seed}: unsolvable\n${level}`);
      assert.ok(plan!.length <= env.spec.maxEpisodeSteps, `seed ${seed}: needs ${plan!.length} > ${env.spec.maxEpisodeSteps} steps`);
      let last;
      for (const a of plan!) last = env.step(a);
      assert.ok(last!.terminated && last!.info.success && last!.reward > 0, `seed ${seed}: the plan did not reach the goal\n${level}`);
    }
  });
}

test('render: RGB frame of the grid with the step message as caption', () => {
  const env = makeEnvSync<GridEnv>('KeyDoor-v0', { tileSize: 4 });
  env.reset({ seed: 1 });
  const s = env.step(0);
  const f = env.render();
  assert.is(f.width, env.width * 4);
  assert.is(f.height, env.height * 4);
  assert.is(f.rgb.length, f.width * f.height * 3);
  assert.is(f.caption, s.info.message);
  assert.equal(Array.from(f.rgb.subarray(0, 3)), [100, 100, 100]); // the top-left cell is a wall
});

test('bad options and actions raise errors that name them', () => {
  assert.throws(() => makeEnvSync('KeyDoor-v0', { sise: 6 }), /unknown config key 'sise' \(did you mean 'size'\?\). Valid keys: size/);
  assert.throws(() => makeEnvSync('KeyDoor-v0', { size: 2 }), /config key 'size'/);
  assert.throws(() => makeEnvSync('MultiRoom-v0', { numRooms: 2, lockedDoors: 2 }), /lockedDoors/);
  const env = makeEnvSync('Maze-v0');
  assert.throws(() => env.step(0), /before reset/);
  env.reset({ seed: 0 });
  assert.throws(() => env.step(4), /action must be 0 \(north\)/);
  assert.ok(COLORS.length === 6);
});

test.run();
