import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeEnvSync, checkEnv, Rng, DungeonEnv, DUNGEON_PALETTE, DUNGEON_CHANNELS } from '../../envs/index.ts';

const make = (o: Record<string, unknown> = {}) => makeEnvSync<DungeonEnv>('Dungeon-v0', o);
const CONFIGS: Array<Record<string, unknown>> = [
  {},
  { locks: 2, rows: 3, split: 'test', timePenalty: true },
  { cols: 2, rows: 2, roomSize: 2, monsters: 0, noise: 0, features: 0, items: 0, loops: 0, closedDoors: 1 },
];

for (const o of CONFIGS) {
  test(`Dungeon-v0 ${JSON.stringify(o)} passes checkEnv`, () => {
    const report = checkEnv(make(o), { makeAnother: () => make(o), episodes: 4 });
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
  });
}

test("observation 'full': Box [11, H, W] of the documented planes", () => {
  const env = make({ view: 'full' });
  assert.equal(env.observationSpace.shape, [DUNGEON_CHANNELS.length, 9, 13]);
  const { obs } = env.reset({ seed: 3 });
  const P = 9 * 13;
  const plane = (c: number) => { let s = 0; for (let i = 0; i < P; i++) s += obs[c * P + i]; return s; };
  assert.is(plane(1), 1, 'one agent');
  assert.is(plane(2), 1, 'one key');
  assert.is(plane(3), 1, 'one locked door');
  assert.is(plane(6), 1, 'one treasure');
  assert.is(plane(7), 0, 'carrying nothing');
  assert.is(plane(8), 4, 'scenery');
  assert.is(plane(9), 6, 'items');
  assert.is(plane(10), 2, 'monsters');
});

test("observation 'egocentric' (default): the full planes shifted to put the agent at the centre, wall outside", () => {
  const full = make({ view: 'full' }), ego = make();
  const [C, EH, EW] = ego.observationSpace.shape as number[];
  assert.equal([C, EH, EW], [11, 2 * 9 - 3, 2 * 13 - 3]);
  const rng = new Rng(4);
  let f = full.reset({ seed: 8 }).obs, e = ego.reset({ seed: 8 }).obs;
  for (let t = 0; t < 40; t++) {
    const [ax, ay] = ego.agentXY();
    assert.is(e[1 * EH * EW + (9 - 2) * EW + (13 - 2)], 1, 'agent at the centre');
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < EH; y++) for (let x = 0; x < EW; x++) {
        const mx = x - (13 - 2) + ax, my = y - (9 - 2) + ay;
        const inside = mx >= 0 && my >= 0 && mx < 13 && my < 9;
        const want = inside ? f[c * 117 + my * 13 + mx] : c === 0 ? 1 : c === 7 ? f[7 * 117] : 0;
        if (e[c * EH * EW + y * EW + x] !== want) assert.unreachable(`t ${t} channel ${c} at ${x},${y}`);
      }
    }
    const a = rng.int(4);
    const sf = full.step(a), se = ego.step(a);
    assert.is(se.info.message, sf.info.message);
    if (sf.terminated || sf.truncated) break;
    f = sf.obs; e = se.obs;
  }
});

test('same seed and actions replay exactly (monsters and noises included), in a fresh instance too', () => {
  const run = (env: DungeonEnv) => {
    const rng = new Rng(11), out: string[] = [];
    for (let e = 0; e < 5; e++) {
      env.reset({ seed: 40 + e });
      for (;;) {
        const s = env.step(rng.int(4));
        out.push(`${s.info.message}|${s.reward}|${Array.from(s.obs).join('')}`);
        if (s.terminated || s.truncated) break;
      }
    }
    return out;
  };
  const a = run(make({ noise: 0.3 })), b = run(make({ noise: 0.3 }));
  assert.equal(a, b);
  assert.ok(new Set(a).size > 100, 'episodes vary');
  const env = make();
  env.reset({ seed: 5 });
  const first = env.toText();
  env.reset({ seed: 6 });
  env.reset({ seed: 5 });
  assert.is(env.toText(), first);
});

test('train and test splits are disjoint sets of levels', () => {
  const levels = (split: string) => {
    const env = make({ split }), out = new Set<string>();
    for (let seed = 0; seed < 300; seed++) { env.reset({ seed }); out.add(env.toText().replace(/[mfi]/g, '.')); } // the task's structure
    return out;
  };
  const train = levels('train'), test = levels('test');
  assert.ok(train.size > 290 && test.size > 290, `levels vary: ${train.size}, ${test.size}`);
  for (const l of test) assert.not.ok(train.has(l), 'a test level appears in train');
});

test('the solver claims the treasure on every level, within maxSteps, through the whole chain', () => {
  for (const o of [{}, { split: 'test' }, { locks: 2 }, { locks: 2, rows: 3, split: 'test' }, { cols: 4, rows: 3, roomSize: 4 }]) {
    const env = make(o);
    for (let seed = 0; seed < 60; seed++) {
      env.reset({ seed });
      const acts = env.solve();
      assert.ok(acts, `${JSON.stringify(o)} seed ${seed}: solvable`);
      assert.ok(acts!.length <= env.spec.maxEpisodeSteps / 2, `${JSON.stringify(o)} seed ${seed}: ${acts!.length} steps fits T = ${env.spec.maxEpisodeSteps} twice`);
      let last;
      for (const a of acts!) { last = env.step(a); if (last.terminated) break; }
      assert.ok(last!.terminated && last!.info.success && last!.reward === 1, `${JSON.stringify(o)} seed ${seed}: success`);
      assert.is(env.chainProgress, env.chainLength, 'every chain event happened');
      assert.ok(/!$/.test(last!.info.message), last!.info.message);
    }
  }
});

test('the locked door blocks without its key and says so; the key opens it', () => {
  let checked = 0;
  for (let seed = 0; seed < 40 && checked < 10; seed++) {
    const env = make({ monsters: 0, noise: 0, maxSteps: 200 });
    env.reset({ seed });
    // Walk to the locked door by a path that avoids the key: BFS over the text map.
    const rows = env.toText().split('\n');
    const [sx, sy] = env.agentXY();
    const prev = new Map<string, [string, number]>();
    const queue: Array<[number, number]> = [[sx, sy]];
    const seen = new Set([`${sx},${sy}`]);
    let path: number[] | null = null;
    while (queue.length && !path) {
      const [x, y] = queue.shift()!;
      for (const [a, dx, dy] of [[0, 0, -1], [1, 1, 0], [2, 0, 1], [3, -1, 0]]) {
        const nx = x + dx, ny = y + dy, ch = rows[ny][nx], k = `${nx},${ny}`;
        if (seen.has(k)) continue;
        seen.add(k);
        prev.set(k, [`${x},${y}`, a]);
        if (ch === 'L') { path = []; for (let q = k; prev.has(q);) { const [p, act] = prev.get(q)!; path.unshift(act); q = p; } break; }
        if ('.fi/D'.includes(ch)) queue.push([nx, ny]);
      }
    }
    if (!path) continue; // the key lies on every way to the door
    let s;
    for (const a of path) {
      s = env.step(a);
      if (/^You open the [a-z]+ door\.$/.test(s.info.message)) s = env.step(a); // opening a closed door takes its own step
    }
    assert.match(s!.info.message, /^The [a-z -]+ is locked\.$/);
    assert.is(env.chainProgress, 0);
    assert.not.ok(env.lastStepProgress);
    assert.is(s!.reward, 0);
    const acts = env.solve()!;
    let last;
    for (const a of acts) last = env.step(a);
    assert.ok(last!.info.success);
    checked++;
  }
  assert.ok(checked >= 5, `checked ${checked} levels`);
});

test('the message line is rich: hundreds of distinct captions on a fixed seed set, few of them progress', () => {
  const env = make();
  const rng = new Rng(5);
  const counts = new Map<string, number>();
  const progress = new Set<string>();
  let steps = 0, withMessage = 0;
  for (let seed = 0; seed < 200; seed++) {
    env.reset({ seed });
    for (;;) {
      const s = env.step(rng.int(4));
      steps++;
      if (s.info.message) { withMessage++; counts.set(s.info.message, (counts.get(s.info.message) ?? 0) + 1); }
      if (env.lastStepProgress) progress.add(s.info.message);
      if (s.terminated || s.truncated) break;
    }
  }
  assert.ok(counts.size >= 500, `${counts.size} distinct captions`);
  assert.ok(progress.size >= 15 && progress.size < counts.size / 20, `${progress.size} progress captions of ${counts.size}`);
  assert.ok(withMessage / steps > 0.3, `a message on ${withMessage}/${steps} steps`);
  const text = [...counts.keys()].join(' ');
  for (const word of ['north-east', 'fountain', 'gem', 'You hear', 'You enter the', 'You are back in the', 'You bump into the', 'scurries', 'You swap places', 'door.']) {
    assert.ok(text.includes(word), `some caption mentions '${word}'`);
  }
});

test('describe(): the task facts follow the solver through the chain, in order, on one and two locks', () => {
  for (const o of [{}, { locks: 2, rows: 3 }] as Array<Record<string, number>>) {
    const env = make(o);
    for (let seed = 0; seed < 10; seed++) {
      env.reset({ seed });
      const start = env.describe();
      assert.ok(start.includes('the agent holds no key') && start.includes('the vault door is locked') && start.includes('the agent is in the first room'), JSON.stringify(start));
      const seen: string[] = [];
      for (const a of env.solve()!) {
        env.step(a);
        for (const f of env.describe()) if (!seen.includes(f)) seen.push(f);
      }
      const at = (f: string) => seen.indexOf(f);
      const key = o.locks === 2 ? 'the agent holds both keys' : 'the agent holds the key';
      assert.ok(at(key) >= 0 && at('the vault door is open') > at(key) && at('the agent is in the vault') > at('the vault door is open'), JSON.stringify(seen));
      assert.equal(env.describe().at(-1), 'the agent has claimed the treasure');
      if (o.locks === 2) assert.ok(at('the side-room door is open') >= 0 && at('the side-room door is open') < at(key), JSON.stringify(seen));
    }
  }
});

test('render: distinct colours for walls, doors, keys, treasure, scenery, items, monsters and agent', () => {
  const P = DUNGEON_PALETTE;
  const colours = [P.wall, P.floor, P.lock[0], P.lock[1], P.door, P.goal, P.feature, P.item, P.monster, P.agent].map((c) => c.join(','));
  assert.is(new Set(colours).size, colours.length, 'palette entries differ');
  const env = make({ locks: 2, tileSize: 8 });
  env.reset({ seed: 2 });
  const f = env.render();
  assert.is(f.width, env.width * 8);
  assert.is(f.height, env.height * 8);
  const rows = env.toText().split('\n');
  const px = (gx: number, gy: number, ox: number, oy: number) => { const o = ((gy * 8 + oy) * f.width + gx * 8 + ox) * 3; return `${f.rgb[o]},${f.rgb[o + 1]},${f.rgb[o + 2]}`; };
  const want: Record<string, string> = { '#': P.wall.join(','), G: P.goal.join(','), f: P.feature.join(','), i: P.item.join(','), m: P.monster.join(','), A: P.agent.join(','), k: '' };
  const seen = new Set<string>();
  for (let y = 0; y < env.height; y++) for (let x = 0; x < env.width; x++) {
    const ch = rows[y][x];
    if (ch === 'L') {
      const c = px(x, y, 7, 7);
      assert.ok(c === P.lock[0].join(',') || c === P.lock[1].join(','), `locked door colour ${c}`);
      assert.is.not(c, P.wall.join(','), 'the locked door is not wall-coloured');
      seen.add('L');
    } else if (ch === 'k') {
      assert.ok([P.lock[0].join(','), P.lock[1].join(',')].includes(px(x, y, 4, 4)));
      seen.add('k');
    } else if (ch in want) {
      assert.is(px(x, y, 4, 4), want[ch], `tile '${ch}' at ${x},${y}`);
      seen.add(ch);
    }
  }
  for (const ch of ['#', 'G', 'L', 'k', 'A']) assert.ok(seen.has(ch), `frame shows '${ch}'`);
});

test('bad options are errors naming the env, the key and what is valid', () => {
  assert.throws(() => make({ colz: 3 }), /Dungeon-v0: unknown .*'colz'.*did you mean 'cols'/);
  assert.throws(() => make({ locks: 3 }), /Dungeon-v0: option 'locks' must be an integer >= 1 and <= 2, got 3/);
  assert.throws(() => make({ cols: 1, rows: 2, locks: 1 }), /Dungeon-v0: cols·rows = 2 rooms is too few/);
  assert.throws(() => make({ items: 200 }), /do not fit/);
  assert.throws(() => make().reset({ options: { x: 1 } } as never), /reset\(\) takes no per-episode options/);
});

test.run();
