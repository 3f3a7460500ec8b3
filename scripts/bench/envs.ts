/**
 * `npm run bench -- envs [--seconds S]`: raw single-thread step throughput of each env family.
 *
 * Games: random actions (pre-drawn, so the RNG is not measured), resets included when episodes end,
 * every step produces its message. Text/tools: random tokens from a mix that sometimes closes tags
 * and emits eos, plus demonstration replays (so calls, results and answers are exercised), resets
 * included. Vector: SyncVectorEnv over 64 KeyDoor instances writing one [64, C, H, W] batch buffer.
 * Resets (level generation) are also timed on their own. Each figure is the median of 3 timed runs
 * after a warm-up. Last line: one JSON object.
 */
import { makeEnvSync, Rng, SyncVectorEnv, defaultTokenizer as tok, type Env, type TokenEnv } from '../../envs/index.ts';

const argSeconds = process.argv.indexOf('--seconds');
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 0.6;

function timeIt(run: (budgetMs: number) => number): number {
  run(SECONDS * 300); // warm-up (JIT)
  const rates: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const steps = run(SECONDS * 1000);
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  return rates.sort((a, b) => a - b)[1];
}

function gameRate(id: string, options: Record<string, unknown>): number {
  const env: Env<Float32Array, number> = makeEnvSync(id, options);
  const rng = new Rng(1);
  const actions = Int32Array.from({ length: 1 << 16 }, () => rng.int(4));
  env.reset({ seed: 1 });
  let msgChars = 0;
  const rate = timeIt((budget) => {
    const end = performance.now() + budget;
    let n = 0;
    while (performance.now() < end) {
      for (let k = 0; k < 65536; k++, n++) {
        const s = env.step(actions[(n + k) & 65535]);
        msgChars += s.info.message.length;
        if (s.terminated || s.truncated) env.reset();
      }
    }
    return n;
  });
  if (msgChars === 0) console.log(`  (warning: ${id} produced no message)`);
  return rate;
}

/** Resets per second (level generation incl. split rejection), reported separately from steps. */
function resetRate(id: string, options: Record<string, unknown>): number {
  const env = makeEnvSync(id, options);
  let seed = 0;
  return timeIt((budget) => {
    const end = performance.now() + budget;
    let n = 0;
    while (performance.now() < end) for (let k = 0; k < 64; k++, n++) env.reset({ seed: seed++ });
    return n;
  });
}

function vectorRate(): number {
  const N = 64;
  const vec = SyncVectorEnv.makeSync('KeyDoor-v0', N, {});
  const rng = new Rng(2);
  const batches = Array.from({ length: 256 }, () => Int32Array.from({ length: N }, () => rng.int(4)));
  vec.reset({ seed: 0 });
  return timeIt((budget) => {
    const end = performance.now() + budget;
    let n = 0;
    while (performance.now() < end) for (let k = 0; k < 256; k++, n += N) vec.step(batches[k]);
    return n;
  });
}

/** Token envs: alternate a demonstration replay and a random episode (random chars, eos 1 in 40). */
function tokenRate(id: string, options: Record<string, unknown> = {}): number {
  const env = makeEnvSync<TokenEnv>(id, options);
  const rng = new Rng(3);
  const alphabet = tok.encode('0123456789+-*()<>/acdeilnoprstuwy.=?');
  let seed = 0;
  return timeIt((budget) => {
    const end = performance.now() + budget;
    let n = 0;
    while (performance.now() < end) {
      env.reset({ seed: seed++ });
      let done = false;
      if (seed % 2 === 0) {
        for (const seg of env.demonstrate()) {
          if (seg.role !== 'policy' || done) continue;
          for (const t of tok.encode(seg.text)) { const s = env.step(t); n++; if (s.terminated || s.truncated) { done = true; break; } }
        }
        if (!done) { env.step(tok.eos); n++; }
      } else {
        while (!done) {
          const t = rng.int(40) === 0 ? tok.eos : alphabet[rng.int(alphabet.length)];
          const s = env.step(t);
          n++;
          done = s.terminated || s.truncated;
        }
      }
    }
    return n;
  });
}

const results: Record<string, number> = {};
const fmt = (r: number) => `${(r / 1e6).toFixed(2)} M steps/s  (${(1e9 / r).toFixed(0)} ns/step)`;
console.log(`envs benchmark: single thread, median of 3 × ${SECONDS}s runs (noisy shared 2-core machine)`);
for (const [key, id, opts] of [
  ['keydoor', 'KeyDoor-v0', {}],
  ['keydoor16', 'KeyDoor-v0', { size: 16 }],
  ['multiroom', 'MultiRoom-v0', { numRooms: 4, lockedDoors: 1 }],
  ['maze', 'Maze-v0', {}],
  ['maze10_door', 'Maze-v0', { size: 10, lockedDoor: true }],
  ['dungeon', 'Dungeon-v0', {}],
  ['dungeon_locks2', 'Dungeon-v0', { locks: 2, rows: 3 }],
] as const) {
  results[`games_${key}_steps_per_s`] = gameRate(id, opts);
  console.log(`games  ${id} ${JSON.stringify(opts)}: ${fmt(results[`games_${key}_steps_per_s`])}`);
}
for (const [key, id, opts] of [['keydoor', 'KeyDoor-v0', {}], ['multiroom', 'MultiRoom-v0', { numRooms: 4, lockedDoors: 1 }], ['maze10_door', 'Maze-v0', { size: 10, lockedDoor: true }], ['dungeon', 'Dungeon-v0', {}]] as const) {
  results[`games_${key}_resets_per_s`] = resetRate(id, opts);
  console.log(`games  ${id} ${JSON.stringify(opts)} reset: ${(results[`games_${key}_resets_per_s`] / 1e3).toFixed(1)} k resets/s (${(1e6 / results[`games_${key}_resets_per_s`]).toFixed(1)} µs/reset)`);
}
results.games_vector64_keydoor_steps_per_s = vectorRate();
console.log(`games  SyncVectorEnv(64 × KeyDoor-v0): ${fmt(results.games_vector64_keydoor_steps_per_s)}`);
for (const [key, id] of [['addition', 'Addition-v0'], ['reverse', 'Reverse-v0'], ['sort', 'Sort-v0']] as const) {
  results[`text_${key}_steps_per_s`] = tokenRate(id);
  console.log(`text   ${id}: ${fmt(results[`text_${key}_steps_per_s`])}`);
}
for (const [key, id] of [['calc', 'ToolCalc-v0'], ['lookup', 'ToolLookup-v0']] as const) {
  results[`tools_${key}_steps_per_s`] = tokenRate(id);
  console.log(`tools  ${id}: ${fmt(results[`tools_${key}_steps_per_s`])}`);
}
const target = 1_000_000;
const worstGame = Math.min(results.games_keydoor_steps_per_s, results.games_multiroom_steps_per_s, results.games_maze_steps_per_s);
console.log(`grid-world target ≥ ${target / 1e6} M steps/s single-threaded: ${worstGame >= target ? 'met' : 'NOT met'} (slowest default game ${fmt(worstGame)})`);
console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v)]))));
