/**
 * `tsx scripts/experiments/perceptual.ts [--seeds 3] [--updates 150] [--quick]` — experiment (4): a game
 * trained with the perceptual judge only (frames, no captions) against extrinsic reward only.
 *
 * `tsx scripts/experiments/perceptual.ts --diagnose [--encoder DIR/model.json[,DIR2/model.json…] | --options JSON] [--demos 100] [--goal-levels 64]
 *   [--builtin-grid N (default: the env's size option, else 4)] [--alpha 0.5] [--steps 3,5] [--goal-text 'a|b' --baseline-text 'c'] [--seed 0] [--out FILE.json] [--plot FILE.svg]` —
 * how well the judge's score tracks progress on held-out solver demonstrations (see diagnose() below);
 * writes docs/results/perceptual-diagnosis.json (or --out, under docs/results/), with the trained encoders'
 * training figures (their DIR/training.json) and their loss curves in docs/results/perceptual-encoder-loss.svg (--plot).
 *
 * The runner's actors send captions, not per-step frames, to the annotator (frames go only to the
 * dashboard's sample episode), so this suite runs its own single-thread loop with the same pieces the
 * runner uses: KeyDoor-v0 envs (G = 8 rollouts per start seed, 8 groups per update), agents' GamePolicy
 * (MLP 64-64) and GrpoLearner (plain GRPO, p = 0, lr 3e-3 — the intrinsic suite's learner), rewards'
 * PerceptualJudge (builtin colour-layout encoder) and RetrievalModel.scoreKeys, and ONI's combination
 *     r_t = c_ext·r_ext,t + c_int·r_int(m_t)·N(m_t)^(−β)
 * with m_t the frame key (sha1 of the rendered frame) instead of a caption.
 *
 * The judge: VLM-RM's goal-baseline score (Rocamonde et al. 2023) with goal = the last frames and baseline
 * = the first frames of solver demonstrations (GridEnv.solve()) on train-split levels the policy never
 * trains on; labels are binary, 1 when R exceeds the median R over the demonstration frames ("looks like
 * the second half of a solution"). Each new frame key is labelled once (synchronously: this judge is
 * local and fast), then served from the retrieval table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { initBackend, GamePolicy, GrpoLearner, packGroups, type Rollout } from '../../agents/index.ts';
import { makeEnvSync, mulberry32, type Env, type Frame } from '../../envs/index.ts';
import {
  FACTS, PerceptualJudge, RetrievalModel, frameKey, levelSeed, progressCorrelation, requireGame, solverDemonstration, validateJudgeConfig, validateModelConfig,
  type MeanCI, type PerceptualJudgeConfig, type RenderableGame, type RetrievalModelConfig, type SolverDemonstration, type TrainedEncoderMetadata,
  type TrainEncoderReport,
} from '../../rewards/index.ts';
import { writeJson } from './json-file.ts';
import { lineChartSvg } from './plot.ts';
import { report } from './report.ts';
import type { JobResult, SuiteResults } from './run.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENV_ID = 'KeyDoor-v0';
const ENV_OPTIONS = { size: 7, maxSteps: 40, tileSize: 2 };
const G = 8, GROUPS = 8;
const C_EXT = 10, C_INT = 0.1, BETA = 3;

type GridEnv = Env<Float32Array> & { solve(): number[] | null; render(): Frame };

/** Demonstration frames from the solver on train-split levels (seeds far from the training seeds). */
function demonstrations(count: number): { goal: Frame[]; baseline: Frame[]; all: Frame[] } {
  const env = makeEnvSync(ENV_ID, ENV_OPTIONS) as unknown as GridEnv;
  const goal: Frame[] = [], baseline: Frame[] = [], all: Frame[] = [];
  for (let i = 0; i < count; i++) {
    env.reset({ seed: 9_000_000 + i });
    const frames = [env.render()];
    for (const a of env.solve() ?? []) { env.step(a); frames.push(env.render()); }
    baseline.push(frames[0]!);
    goal.push(frames.at(-1)!);
    all.push(...frames);
  }
  return { goal, baseline, all };
}

/** The judge's scoring mode (--mode): VLM-RM 'goal-baseline' (default) or Sermanet-style 'steps'. */
let MODE: 'goal-baseline' | 'steps' = 'goal-baseline';

async function makeJudge(): Promise<{ judge: PerceptualJudge; threshold: number }> {
  const config = validateJudgeConfig({ kind: 'perceptual', encoder: { kind: 'builtin', grid: ENV_OPTIONS.size }, mode: MODE, alpha: 0.5, output: 'score' }) as PerceptualJudgeConfig;
  const judge = await PerceptualJudge.create(config);
  const demo = demonstrations(64);
  // 'steps' segments one ordered demonstration: the 64 solver trajectories concatenated level by level.
  if (MODE === 'steps') await judge.setDemonstration(demo.all);
  else await judge.setGoal(demo.goal, demo.baseline);
  const scores = Array.from(await judge.scoreFrames(demo.all)).sort((a, b) => a - b);
  return { judge, threshold: scores[Math.floor(scores.length / 2)]! };
}

async function train(arm: 'ext' | 'perceptual', seed: number, updates: number): Promise<JobResult> {
  const t0 = performance.now();
  const envs = Array.from({ length: G * GROUPS }, () => makeEnvSync(ENV_ID, ENV_OPTIONS) as unknown as GridEnv);
  const obsShape = envs[0]!.observationSpace.shape as number[];
  const policy = new GamePolicy({ obsShape, numActions: 4, hidden: [64, 64], seed });
  const learner = new GrpoLearner(policy, { learningRate: 3e-3, thr: { p: 0, tau: 0 }, seed });
  const perceptual = arm === 'perceptual' ? await makeJudge() : null;
  const model = new RetrievalModel(validateModelConfig({ kind: 'retrieval' }) as RetrievalModelConfig);
  const sample = mulberry32(seed * 2654435761);
  const obsDim = policy.obsDim;
  const m: JobResult['metrics'] = { step: [], envSteps: [], time: [], successRate: [], returnMean: [], extrinsicMean: [], intrinsicMean: [], extra: { labelled: [] } };
  let envSteps = 0, labelled = 0;
  for (let u = 1; u <= updates; u++) {
    const N = envs.length;
    const obs: Float32Array[][] = envs.map(() => []), acts: number[][] = envs.map(() => []), logps: number[][] = envs.map(() => []);
    const rExt: number[][] = envs.map(() => []), keys: string[][] = envs.map(() => []);
    const success = new Array<boolean>(N).fill(false), live = new Array<boolean>(N).fill(true);
    const cur = envs.map((e, i) => e.reset({ seed: seed * 1_000_003 + u * GROUPS + Math.floor(i / G) }).obs);
    const newFrames = new Map<string, Frame>();
    while (live.some(Boolean)) {
      const rows = live.flatMap((l, i) => (l ? [i] : []));
      const batch = new Float32Array(rows.length * obsDim);
      rows.forEach((r, k) => batch.set(cur[r]!, k * obsDim));
      const { actions, logp } = policy.act(batch, rows.length, { rng: sample });
      rows.forEach((r, k) => {
        obs[r]!.push(cur[r]!);
        acts[r]!.push(actions[k]!);
        logps[r]!.push(logp[k]!);
        const st = envs[r]!.step(actions[k]!);
        envSteps++;
        rExt[r]!.push(st.reward);
        if (perceptual) {
          const f = envs[r]!.render();
          const key = frameKey(ENV_ID, f);
          keys[r]!.push(key);
          if (!newFrames.has(key)) newFrames.set(key, f);
        }
        cur[r] = st.obs;
        if (st.terminated || st.truncated) { live[r] = false; success[r] = !!st.info.success; }
      });
    }
    // Frames → judge → labels keyed by frame key → retrieval model (each key labelled once).
    if (perceptual) {
      const fresh = [...newFrames].filter(([k]) => model.scoreKeys([k])[0] === 0 && !seenKeys.has(k));
      if (fresh.length) {
        const r = await perceptual.judge.scoreFrames(fresh.map(([, f]) => f));
        model.update(fresh.map(([key], i) => ({ key, caption: '', label: r[i]! > perceptual.threshold ? 1 : 0 })));
        for (const [k] of fresh) seenKeys.add(k);
        labelled += fresh.length;
      }
    }
    let intr = 0;
    const groups: Rollout[][] = [];
    for (let g = 0; g < GROUPS; g++) {
      const grp: Rollout[] = [];
      for (let j = 0; j < G; j++) {
        const i = g * G + j;
        let ret = C_EXT * rExt[i]!.reduce((a, b) => a + b, 0);
        if (perceptual) {
          const r = model.scoreKeys(keys[i]!);
          const count = new Map<string, number>();
          keys[i]!.forEach((k, t) => { const n = (count.get(k) ?? 0) + 1; count.set(k, n); const ri = C_INT * r[t]! * n ** -BETA; ret += ri; intr += ri; });
        }
        grp.push({ actions: acts[i]!, behaviourLogp: logps[i]!, reward: ret });
      }
      groups.push(grp);
    }
    const batch = packGroups(groups, (B, L) => {
      const o = new Float32Array(B * L * obsDim);
      for (let b = 0; b < B; b++) obs[b]!.forEach((x, t) => o.set(x, (b * L + t) * obsDim));
      return { obs: o, B, L };
    });
    learner.update(batch);
    const sr = success.filter(Boolean).length / N;
    m.step.push(u); m.envSteps.push(envSteps); m.time.push((performance.now() - t0) / 1000);
    m.successRate.push(sr); m.extrinsicMean.push(rExt.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0) / N);
    m.intrinsicMean.push(intr / N); m.returnMean.push(NaN); m.extra.labelled!.push(labelled);
  }
  policy.dispose();
  const k = Math.max(1, Math.round(updates / 10));
  const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const wall = (performance.now() - t0) / 1000;
  return {
    arm, seed, runDir: '(in-process)', wallSeconds: wall, evalSeconds: 0, metrics: m,
    summary: { successRateFirst: avg(m.successRate.slice(0, k)), successRateLast: avg(m.successRate.slice(-k)), envSteps, updates, labelled, threshold: perceptual?.threshold ?? null },
  };
}
const seenKeys = new Set<string>();

/**
 * `--diagnose`: is the judge informative? On held-out solver demonstrations (test-split levels), Spearman's
 * ρ between the judge's score and progress — step index and subgoal stage, per demonstration (mean, bootstrap
 * 95 % CI over demonstrations) and pooled over levels (rewards' progressCorrelation) — per encoder (builtin;
 * the trained ones given by --encoder, comma-separated) and per mode: VLM-RM goal-baseline with goal / baseline frames (last /
 * first frames of solver demonstrations on train-split levels), goal-baseline with goals in words (trained
 * encoder's text tower; by default two KeyDoor sets: one phrase each — 'the agent stands on the goal' vs
 * 'the agent is in the first room' — and the subgoal facts of the goal vs the start state; --goal-text /
 * --baseline-text give one set, texts separated by '|'), and Sermanet-style steps (each train demonstration
 * segmented into K steps, for each K of --steps).
 * Every score goes through PerceptualJudge built from a validated config, as in a run.
 */
interface DiagnoseArgs { encoders: string[]; builtinGrid: number | null; plot: string; options: Record<string, unknown> | null; demos: number; goalLevels: number; alpha: number; steps: number[]; textGoals: Array<{ name: string; goal: string[]; baseline: string[] }>; seed: number }

async function diagnose(a: DiagnoseArgs): Promise<Record<string, unknown>> {
  let env = ENV_ID, options: Record<string, unknown> = a.options ?? { size: 7, maxSteps: 40, tileSize: 4 };
  for (const [i, path] of a.encoders.entries()) {
    const meta = JSON.parse(readFileSync(path, 'utf8')).userDefinedMetadata?.thrive as TrainedEncoderMetadata | undefined;
    if (meta?.role !== 'frame-encoder') throw new Error(`--encoder '${path}' is not a frame encoder saved by npm run train-encoder`);
    if (a.options) throw new Error('--options: the env options come from the --encoder\'s metadata (it only takes frames of the size it was trained on)');
    if (i > 0 && (meta.env !== env || JSON.stringify(meta.envOptions) !== JSON.stringify(options))) {
      throw new Error(`--encoder '${path}' was trained on ${meta.env} ${JSON.stringify(meta.envOptions)}, the first on ${env} ${JSON.stringify(options)}: diagnose them separately`);
    }
    env = meta.env; options = meta.envOptions;
  }
  const game = (split: 'train' | 'test') => requireGame(makeEnvSync(env, { ...options, split }), env);
  const trainEnv = game('train'), testEnv = game('test');
  const demosOf = (e: RenderableGame, purpose: string, n: number) => Array.from({ length: n }, (_, i) => solverDemonstration(e, levelSeed(a.seed, purpose, i)))
    .filter((d): d is SolverDemonstration => !!d);
  const goalDemos = demosOf(trainEnv, 'judge-goals', a.goalLevels), heldOut = demosOf(testEnv, 'diagnose', a.demos);
  const grid = a.builtinGrid ?? (typeof options.size === 'number' ? options.size : 4);
  const encoders: Array<[string, Record<string, unknown>]> = [[`builtin (grid ${grid})`, { kind: 'builtin', grid }]];
  for (const path of a.encoders) encoders.push([`trained ${basename(dirname(resolve(path)))}`, { kind: 'tfjs', path }]);
  const rows: Array<Record<string, unknown>> = [];
  for (const [name, encoder] of encoders) {
    const modes: Array<[string, Record<string, unknown>, (j: PerceptualJudge) => Promise<void>]> = [
      ['goal-baseline, frame goals', { mode: 'goal-baseline', alpha: a.alpha }, (j) => j.setGoal(goalDemos.map((d) => d.frames.at(-1)!), goalDemos.map((d) => d.frames[0]!))],
      ...a.steps.map((K): [string, Record<string, unknown>, (j: PerceptualJudge) => Promise<void>] =>
        [`steps, K = ${K}`, { mode: 'steps', steps: K }, (j) => j.setDemonstrations(goalDemos.map((d) => d.frames))]),
    ];
    if (name.startsWith('trained')) {
      modes.splice(1, 0, ...a.textGoals.map((t): [string, Record<string, unknown>, (j: PerceptualJudge) => Promise<void>] =>
        [`goal-baseline, text goals (${t.name})`, { mode: 'goal-baseline', alpha: a.alpha, goalText: t.goal, baselineText: t.baseline }, async () => {}]));
    }
    for (const [mode, cfg, setGoals] of modes) {
      const judge = await PerceptualJudge.create(validateJudgeConfig({ kind: 'perceptual', encoder, output: 'score', ...cfg }) as PerceptualJudgeConfig);
      await setGoals(judge);
      const c = await progressCorrelation((f) => judge.scoreFrames(f), heldOut);
      await judge.close();
      rows.push({ encoder: name, mode, ...c });
      const ci = (m: MeanCI) => `${m.mean.toFixed(3)} [${m.lo.toFixed(3)}, ${m.hi.toFixed(3)}]`;
      console.log(`${name.padEnd(24)} ${mode.padEnd(45)} ρ(step) ${ci(c.perDemoStep)}  ρ(stage) ${ci(c.perDemoStage)}  pooled ρ(t/T) ${c.pooledProgress.toFixed(3)}  pooled ρ(stage) ${c.pooledStage.toFixed(3)}  score ${c.score.min.toFixed(3)}–${c.score.max.toFixed(3)}`);
    }
  }
  trainEnv.close(); testEnv.close();
  // The trained encoders' own records (DIR/training.json): loss curves into one chart, figures into the JSON.
  const training = a.encoders.map((p) => {
    const file = join(dirname(p), 'training.json');
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as TrainEncoderReport : null;
  });
  const curves = training.filter((t): t is TrainEncoderReport => !!t);
  if (curves.length && curves.every((t) => JSON.stringify(t.curve.map((c) => c.step)) === JSON.stringify(curves[0]!.curve.map((c) => c.step)))) {
    const x = curves[0]!.curve.map((c) => c.step);
    mkdirSync(dirname(join(ROOT, 'docs', 'results', a.plot)), { recursive: true });
    writeFileSync(join(ROOT, 'docs', 'results', a.plot), lineChartSvg({
      title: `Contrastive encoder training on ${env} (${curves.length} seed${curves.length > 1 ? 's' : ''}; mean, min–max)`, xLabel: 'step', yLabel: 'symmetric InfoNCE',
      series: [{ name: 'train (last 50 steps)', x, ys: curves.map((t) => t.curve.map((c) => c.loss)) },
        { name: 'held-out (test-split levels)', x, ys: curves.map((t) => t.curve.map((c) => c.heldOutLoss)) }],
    }));
  }
  return {
    env, envOptions: options, encoders: a.encoders.map((p) => relative(ROOT, resolve(p))),
    heldOutDemonstrations: heldOut.length, goalDemonstrations: goalDemos.length, alpha: a.alpha, steps: a.steps,
    textGoals: a.textGoals, seed: a.seed,
    training: training.map((t, i) => t && { encoder: relative(ROOT, resolve(a.encoders[i]!)), seed: t.options.seed, steps: t.options.steps, seconds: t.seconds,
      data: t.data, firstLoss: t.curve[0]?.loss, finalLoss: t.curve.at(-1)?.loss, firstHeldOutLoss: t.curve[0]?.heldOutLoss, finalHeldOutLoss: t.curve.at(-1)?.heldOutLoss,
      temperature: t.curve.at(-1)?.temperature, retrieval: t.retrieval, trainRetrieval: t.trainRetrieval }),
    plot: curves.length ? `docs/results/${a.plot}` : null,
    results: rows,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const num = (k: string, d: number) => { const i = argv.indexOf(k); return i >= 0 ? Number(argv[i + 1]) : d; };
  const quick = argv.includes('--quick');
  const mi = argv.indexOf('--mode');
  if (mi >= 0) {
    const m = argv[mi + 1];
    if (m !== 'goal-baseline' && m !== 'steps') throw new Error(`--mode must be 'goal-baseline' or 'steps', got ${JSON.stringify(m)}`);
    MODE = m;
  }
  const seeds = num('--seeds', 3), updates = num('--updates', quick ? 4 : 150);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got ${seeds}`);
  if (!Number.isInteger(updates) || updates < 1) throw new Error(`--updates must be a positive integer, got ${updates}`);
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
  if (argv.includes('--diagnose')) {
    const str = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
    const texts = (k: string, d: string[]) => { const v = str(k); return v === undefined ? d : v.split('|').map((t) => t.trim()).filter(Boolean); };
    const args: DiagnoseArgs = {
      encoders: (str('--encoder') ?? '').split(',').filter(Boolean), builtinGrid: str('--builtin-grid') === undefined ? null : num('--builtin-grid', 0), plot: str('--plot') ?? join(dirname(str('--out') ?? 'x'), 'perceptual-encoder-loss.svg'), options: str('--options') === undefined ? null : JSON.parse(str('--options')!), demos: num('--demos', 100), goalLevels: num('--goal-levels', 64), alpha: num('--alpha', 0.5),
      steps: (str('--steps') ?? '3,5').split(',').map(Number), seed: num('--seed', 0),
      textGoals: str('--goal-text') !== undefined || str('--baseline-text') !== undefined
        ? [{ name: 'given', goal: texts('--goal-text', []), baseline: texts('--baseline-text', []) }]
        : [
          { name: 'one phrase each', goal: [FACTS.onGoal], baseline: [FACTS.firstRoom] },
          { name: 'subgoal facts', goal: [FACTS.holdsKey, FACTS.doorOpen, FACTS.goalRoom, FACTS.onGoal], baseline: [FACTS.noKey, FACTS.doorLocked, FACTS.firstRoom] },
        ],
    };
    if (args.builtinGrid !== null && !(Number.isInteger(args.builtinGrid) && args.builtinGrid >= 1)) throw new Error(`--builtin-grid must be a positive integer, got '${str('--builtin-grid')}'`);
    if (!args.steps.length || args.steps.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--steps must be positive integers separated by commas, got '${str('--steps')}'`);
    if (!Number.isInteger(args.demos) || args.demos < 1 || !Number.isInteger(args.goalLevels) || args.goalLevels < 1) throw new Error('--demos and --goal-levels must be positive integers');
    if (!(args.alpha >= 0 && args.alpha <= 1)) throw new Error(`--alpha must be in [0, 1], got ${args.alpha}`);
    const d = await diagnose(args);
    const file = join(ROOT, 'docs', 'results', str('--out') ?? 'perceptual-diagnosis.json');
    const quoted = argv.map((x) => (/^[\w\-.,/:=]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`));
    writeJson(file, { command: `npx tsx scripts/experiments/perceptual.ts ${quoted.join(' ')}`, ...d });
    console.log(`wrote ${relative(ROOT, file)}`);
    return;
  }
  const jobs: JobResult[] = [];
  const t0 = performance.now();
  for (let s = 1; s <= seeds; s++) {
    for (const arm of ['ext', 'perceptual'] as const) {
      seenKeys.clear();
      const r = await train(arm, s, updates);
      jobs.push(r);
      console.log(`[perceptual] ${arm} seed ${s}: ${r.wallSeconds.toFixed(0)} s, success first 10% ${((r.summary.successRateFirst as number) * 100).toFixed(1)}% → last 10% ${((r.summary.successRateLast as number) * 100).toFixed(1)}%, frames labelled ${r.summary.labelled}`);
    }
  }
  const outDir = join(ROOT, 'docs', 'results', quick ? 'quick' : '');
  mkdirSync(outDir, { recursive: true });
  const results: SuiteResults = {
    suite: 'perceptual', title: 'Perceptual judge only (frames, no captions) vs extrinsic only on KeyDoor-v0 (size 7, 40 steps)', quick,
    command: `npx tsx scripts/experiments/perceptual.ts ${argv.join(' ')}`.trim(), seeds: Array.from({ length: seeds }, (_, i) => i + 1),
    arms: [
      { name: 'ext', label: 'extrinsic only', config: { env: ENV_ID, options: ENV_OPTIONS, G, groups: GROUPS, cExt: C_EXT } },
      { name: 'perceptual', label: 'perceptual judge (goal-baseline, builtin encoder)', config: { env: ENV_ID, options: ENV_OPTIONS, G, groups: GROUPS, cExt: C_EXT, cInt: C_INT, beta: BETA } },
    ],
    budget: { updates, checkpointEvery: 0 }, eval: null, warmStart: null, jobs,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, date: new Date().toISOString() },
  };
  writeJson(join(outDir, 'perceptual.json'), results);
  const md = report(results, outDir);
  writeFileSync(join(outDir, 'perceptual.md'), md);
  console.log(md);
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s wall`);
}

await main();
