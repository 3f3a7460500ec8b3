/**
 * `npm run experiment -- regime <env-id> [--options JSON] [--episodes N] [--groups M] [--group-size G] [--seed S] [--out FILE]`
 * (or `npx tsx scripts/experiments/regime.ts …`): is a game sparse, and are its messages rich? Measured
 * before any training, for two policies:
 *   - random: uniformly random actions;
 *   - fresh:  a freshly initialised GamePolicy (MLP 64-64, the named experiments' policy) sampling at T = 1.
 * For each: success rate over N independent episodes (train split, seeds 0…N−1) with a Wilson 95% interval;
 * the fraction of zero-variance groups among M groups of G rollouts of one seed — for the extrinsic return
 * (what GRPO sees without intrinsic rewards: a zero-variance group has zero advantage, no gradient) and for
 * the rubric-shaped return Σ_t r_ext + c_int·rubric(m_t)·N(m_t)^(−β) (c_int = 0.4, β = 3: ONI's combination
 * with the rubric judge's labels); episode length; how far along the task chain episodes get (envs with
 * `chainProgress`); the distinct captions, how many the rubric judge labels helpful, the caption frequency
 * distribution (top-k share of the steps with a message, singletons), and — from N/4 episodes on the
 * held-out test split — the share of test-split captions never seen on the train split.
 * Writes docs/results/regime-<env-id>.json (or --out; paths in it are relative) and prints a table.
 */
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GamePolicy, initBackend } from '../../agents/index.ts';
import { makeEnvSync, Rng, type Env } from '../../envs/index.ts';
import { rubricLabel, type EnvContext } from '../../rewards/index.ts';
import { writeJson } from './json-file.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const USAGE = 'usage: npm run experiment -- regime <env-id> [--options JSON] [--episodes N] [--groups M] [--group-size G] [--seed S] [--out FILE]';
const C_INT = 0.4, BETA = 3;

type GameEnv = Env<Float32Array, number> & { chainProgress?: number; chainLength?: number };

/** Wilson score interval for k successes in n trials (95%: z = 1.96). */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface Episode { success: boolean; length: number; messages: string[]; chain: number }

/** Chooses actions for a batch of observations (rows of obsDim floats). */
export type Actor = (obs: Float32Array, n: number) => ArrayLike<number>;

/** Runs one episode per seed, `batch` envs at a time, with the actor choosing every action. */
export function rollouts(envId: string, options: Record<string, unknown>, seeds: number[], act: Actor, batch = 64): Episode[] {
  const envs = Array.from({ length: Math.min(batch, seeds.length) }, () => makeEnvSync(envId, options) as GameEnv);
  const obsDim = (envs[0]!.observationSpace.shape as number[]).reduce((a, b) => a * b, 1);
  const out: Episode[] = [];
  for (let start = 0; start < seeds.length; start += envs.length) {
    const n = Math.min(envs.length, seeds.length - start);
    const cur: Float32Array[] = [], live: boolean[] = [], eps: Episode[] = [];
    for (let i = 0; i < n; i++) {
      cur.push(envs[i]!.reset({ seed: seeds[start + i]! }).obs);
      live.push(true);
      eps.push({ success: false, length: 0, messages: [], chain: 0 });
    }
    const buf = new Float32Array(n * obsDim);
    while (live.some(Boolean)) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (live[i]) { buf.set(cur[i]!, rows.length * obsDim); rows.push(i); }
      const actions = act(buf.subarray(0, rows.length * obsDim), rows.length);
      rows.forEach((i, k) => {
        const s = envs[i]!.step(actions[k]!);
        const e = eps[i]!;
        e.length++;
        e.messages.push(s.info.message);
        cur[i] = s.obs;
        if (s.terminated || s.truncated) {
          live[i] = false;
          e.success = s.info.success === true;
          e.chain = envs[i]!.chainProgress ?? (e.success ? 1 : 0);
        }
      });
    }
    out.push(...eps);
  }
  return out;
}

/** Σ_t r_ext + c_int·rubric(m_t)·N(m_t)^(−β) with N counted within the episode (ONI's combination, rubric labels). */
function shapedReturn(envId: string, e: Episode, label: (m: string) => number): number {
  const counts = new Map<string, number>();
  let r = e.success ? 1 : 0;
  for (const m of e.messages) {
    if (!m) continue;
    const n = (counts.get(m) ?? 0) + 1;
    counts.set(m, n);
    r += C_INT * label(m) * n ** -BETA;
  }
  void envId;
  return r;
}

function zeroVarianceFraction(groups: number[][]): number {
  let zero = 0;
  for (const g of groups) if (g.every((x) => Math.abs(x - g[0]!) < 1e-12)) zero++;
  return groups.length ? zero / groups.length : NaN;
}

interface PolicyRegime {
  episodes: number;
  success: number;
  successCI95: [number, number];
  successes: number;
  episodeLength: { mean: number; meanOfSuccesses: number | null };
  groups: number;
  groupSize: number;
  zeroVarianceExtrinsic: number;
  zeroVarianceRubricShaped: number;
  /** Share of episodes reaching at least k chain events, k = 1 … chainLength (envs with chainProgress). */
  chainReached: number[] | null;
  captions: {
    stepsWithMessage: number;
    distinct: number;
    distinctHelpful: number;
    helpfulStepShare: number;
    singletons: number;
    top1Share: number;
    top10Share: number;
    top100Share: number;
    top: Array<{ caption: string; count: number; helpful: boolean }>;
    testEpisodes: number;
    testDistinct: number;
    testUnseenShare: number;
    testHelpfulDistinct: number;
    testHelpfulUnseenShare: number;
  };
}

function measure(envId: string, context: EnvContext, options: Record<string, unknown>, act: () => Actor, N: number, M: number, G: number, chainLength: number | null): PolicyRegime {
  const labelCache = new Map<string, number>();
  const label = (m: string) => { let l = labelCache.get(m); if (l === undefined) { l = rubricLabel(context, m); labelCache.set(m, l); } return l; };
  const eps = rollouts(envId, { ...options, split: 'train' }, Array.from({ length: N }, (_, i) => i), act());
  const groupSeeds = Array.from({ length: M * G }, (_, i) => 1_000_000 + Math.floor(i / G));
  const gEps = rollouts(envId, { ...options, split: 'train' }, groupSeeds, act());
  const groupsExt: number[][] = [], groupsShaped: number[][] = [];
  for (let g = 0; g < M; g++) {
    const members = gEps.slice(g * G, (g + 1) * G);
    groupsExt.push(members.map((e) => (e.success ? 1 : 0)));
    groupsShaped.push(members.map((e) => shapedReturn(envId, e, label)));
  }
  const counts = new Map<string, number>();
  let withMsg = 0, helpfulSteps = 0, steps = 0;
  for (const e of eps) {
    for (const m of e.messages) {
      steps++;
      if (!m) continue;
      withMsg++;
      counts.set(m, (counts.get(m) ?? 0) + 1);
      helpfulSteps += label(m);
    }
  }
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const share = (k: number) => sorted.slice(0, k).reduce((s, [, c]) => s + c, 0) / Math.max(1, withMsg);
  const nTest = Math.max(1, Math.floor(N / 4));
  const testEps = rollouts(envId, { ...options, split: 'test' }, Array.from({ length: nTest }, (_, i) => i), act());
  const testCaptions = new Set(testEps.flatMap((e) => e.messages.filter(Boolean)));
  const unseen = [...testCaptions].filter((m) => !counts.has(m));
  const testHelpful = [...testCaptions].filter((m) => label(m) === 1);
  const successes = eps.filter((e) => e.success);
  return {
    episodes: N,
    success: successes.length / N,
    successCI95: wilson(successes.length, N),
    successes: successes.length,
    episodeLength: {
      mean: eps.reduce((s, e) => s + e.length, 0) / N,
      meanOfSuccesses: successes.length ? successes.reduce((s, e) => s + e.length, 0) / successes.length : null,
    },
    groups: M,
    groupSize: G,
    zeroVarianceExtrinsic: zeroVarianceFraction(groupsExt),
    zeroVarianceRubricShaped: zeroVarianceFraction(groupsShaped),
    chainReached: chainLength === null ? null : Array.from({ length: chainLength }, (_, k) => eps.filter((e) => e.chain >= k + 1).length / N),
    captions: {
      stepsWithMessage: withMsg / Math.max(1, steps),
      distinct: counts.size,
      distinctHelpful: sorted.filter(([m]) => label(m) === 1).length,
      helpfulStepShare: helpfulSteps / Math.max(1, withMsg),
      singletons: sorted.filter(([, c]) => c === 1).length,
      top1Share: share(1),
      top10Share: share(10),
      top100Share: share(100),
      top: sorted.slice(0, 10).map(([caption, count]) => ({ caption, count, helpful: label(caption) === 1 })),
      testEpisodes: nTest,
      testDistinct: testCaptions.size,
      testUnseenShare: testCaptions.size ? unseen.length / testCaptions.size : NaN,
      testHelpfulDistinct: testHelpful.length,
      testHelpfulUnseenShare: testHelpful.length ? testHelpful.filter((m) => !counts.has(m)).length / testHelpful.length : NaN,
    },
  };
}

function parseArgs(argv: string[]) {
  const o = { envId: '', options: {} as Record<string, unknown>, episodes: 20000, groups: 1000, groupSize: 8, seed: 1, out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    const int = (min: number) => { const v = Number(val()); if (!Number.isInteger(v) || v < min) throw new Error(`${a} must be an integer ≥ ${min}, got ${argv[i]}`); return v; };
    if (a === '--options') {
      const raw = val();
      try { o.options = JSON.parse(raw); } catch (e) { throw new Error(`--options must be JSON, got ${raw}: ${(e as Error).message}`); }
      if (typeof o.options !== 'object' || o.options === null || Array.isArray(o.options)) throw new Error(`--options must be a JSON object, got ${raw}`);
      if ('split' in o.options) throw new Error("--options must not set 'split': the regime check uses the train split and the test split itself");
    } else if (a === '--episodes') o.episodes = int(8);
    else if (a === '--groups') o.groups = int(1);
    else if (a === '--group-size') o.groupSize = int(2);
    else if (a === '--seed') o.seed = int(0);
    else if (a === '--out') o.out = val();
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('-')) throw new Error(`unknown flag '${a}'`);
    else if (!o.envId) o.envId = a;
    else throw new Error(`unexpected argument '${a}'`);
  }
  if (!o.envId) throw new Error('name a game env id, e.g. Dungeon-v0');
  return o;
}

const pct = (x: number, d = 2) => `${(100 * x).toFixed(d)}%`;

export async function main(argv: string[]): Promise<void> {
  let o;
  try { o = parseArgs(argv); } catch (e) { console.error(`error: ${(e as Error).message}\n${USAGE}`); process.exit(2); }
  let probe: GameEnv;
  try {
    probe = makeEnvSync(o.envId, o.options) as GameEnv;
  } catch (e) { console.error(`error: ${(e as Error).message}`); process.exit(2); }
  const space = probe.observationSpace as { kind: string; shape?: readonly number[] };
  const actions = probe.actionSpace as { kind?: string; n?: number };
  if (space.kind !== 'box' || actions.kind !== 'discrete' || !actions.n) {
    console.error(`error: ${o.envId}: the regime check needs a game env (Box observations, Discrete actions); it has ${space.kind} observations and ${actions.kind} actions`);
    process.exit(2);
  }
  const obsShape = [...space.shape!], numActions = actions.n;
  const chainLength = typeof probe.chainLength === 'number' ? probe.chainLength : null;
  process.env.THRIVE_BACKEND_QUIET = '1';
  const backend = await initBackend();
  const t0 = performance.now();
  const random = (): Actor => { const rng = new Rng(o.seed); return (_obs, n) => Int32Array.from({ length: n }, () => rng.int(numActions)); };
  const policy = new GamePolicy({ obsShape, numActions, hidden: [64, 64], seed: o.seed });
  const fresh = (): Actor => { const rng = new Rng(o.seed + 1); return (obs, n) => policy.act(obs, n, { rng: () => rng.float(), temperature: 1, hidden: false }).actions; };
  const results = {
    env: o.envId,
    options: probe.spec.options,
    // The command as run (an --out path relative to the repository, so the JSON names no machine's paths).
    command: `npm run experiment -- regime ${argv.map((a, i) => (argv[i - 1] === '--out' ? relative(ROOT, resolve(a)) : /[\s{}"]/.test(a) ? `'${a}'` : a)).join(' ')}`,
    rubric: { cInt: C_INT, beta: BETA },
    random: measure(o.envId, probe.spec, o.options, random, o.episodes, o.groups, o.groupSize, chainLength),
    fresh: measure(o.envId, probe.spec, o.options, fresh, o.episodes, o.groups, o.groupSize, chainLength),
    seconds: 0,
    machine: { backend, node: process.version, date: new Date().toISOString() },
  };
  policy.dispose();
  results.seconds = (performance.now() - t0) / 1000;
  const out = o.out ? resolve(o.out) : join(ROOT, 'docs', 'results', `regime-${o.envId}.json`);
  writeJson(out, results);
  const rows: Array<[string, (r: PolicyRegime) => string]> = [
    ['success (95% CI)', (r) => `${pct(r.success)} [${pct(r.successCI95[0])}, ${pct(r.successCI95[1])}] (${r.successes}/${r.episodes})`],
    [`zero-variance groups, extrinsic (G = ${o.groupSize})`, (r) => `${r.zeroVarianceExtrinsic.toFixed(3)} of ${r.groups}`],
    ['zero-variance groups, rubric-shaped', (r) => `${r.zeroVarianceRubricShaped.toFixed(3)} of ${r.groups}`],
    ['chain reached (≥ 1, 2, …)', (r) => (r.chainReached ? r.chainReached.map((x) => pct(x, 1)).join(' / ') : '-')],
    ['episode length (successes)', (r) => `${r.episodeLength.mean.toFixed(1)} (${r.episodeLength.meanOfSuccesses?.toFixed(1) ?? '-'})`],
    ['steps with a message', (r) => pct(r.captions.stepsWithMessage, 1)],
    ['distinct captions (helpful)', (r) => `${r.captions.distinct} (${r.captions.distinctHelpful})`],
    ['helpful share of message steps', (r) => pct(r.captions.helpfulStepShare)],
    ['top-1 / top-10 / top-100 share', (r) => `${pct(r.captions.top1Share, 1)} / ${pct(r.captions.top10Share, 1)} / ${pct(r.captions.top100Share, 1)}`],
    ['captions seen once', (r) => `${r.captions.singletons}`],
    ['test split: distinct (unseen on train)', (r) => `${r.captions.testDistinct} (${pct(r.captions.testUnseenShare, 1)})`],
    ['test split: helpful (unseen on train)', (r) => `${r.captions.testHelpfulDistinct} (${pct(r.captions.testHelpfulUnseenShare, 1)})`],
  ];
  console.log(`${o.envId} ${JSON.stringify(probe.spec.options)}\n${o.episodes} episodes per policy, ${o.groups} groups of ${o.groupSize}\n`);
  console.log('| | random policy | fresh policy (T = 1) |\n|---|---|---|');
  for (const [name, f] of rows) console.log(`| ${name} | ${f(results.random)} | ${f(results.fresh)} |`);
  console.log(`\n${results.seconds.toFixed(0)} s; wrote ${relative(ROOT, out)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
