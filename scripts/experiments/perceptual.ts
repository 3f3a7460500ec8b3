/**
 * `tsx scripts/experiments/perceptual.ts [--seeds 3] [--updates 150] [--quick]` — experiment (4): a game
 * trained with the perceptual judge only (frames, no captions) against extrinsic reward only.
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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend, GamePolicy, GrpoLearner, packGroups, type Rollout } from '../../agents/index.ts';
import { makeEnvSync, mulberry32, type Env, type Frame } from '../../envs/index.ts';
import { PerceptualJudge, RetrievalModel, frameKey, validateJudgeConfig, validateModelConfig, type PerceptualJudgeConfig, type RetrievalModelConfig } from '../../rewards/index.ts';
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
 * Is the judge informative? On solver demonstrations of levels other than those it was calibrated on, the
 * mean score R and the share labelled helpful by stage: before the key, carrying the key with the door
 * still closed, after the door is open (read from the observation planes: 7 = carrying, 5 = open door).
 */
async function diagnose(): Promise<Record<string, { frames: number; meanR: number; helpful: number }>> {
  const { judge, threshold } = await makeJudge();
  const env = makeEnvSync(ENV_ID, ENV_OPTIONS) as unknown as GridEnv;
  const [C, H, W] = env.observationSpace.shape as number[];
  const plane = (o: Float32Array, c: number) => { let s = 0; for (let i = 0; i < H! * W!; i++) s += o[c * H! * W! + i]!; return s; };
  const stages = ['before key', 'carrying key, door closed', 'door open'];
  const acc = stages.map(() => ({ frames: 0, sumR: 0, helpful: 0 }));
  for (let i = 0; i < 100; i++) {
    let o = env.reset({ seed: 8_000_000 + i }).obs;
    const frames: Frame[] = [env.render()], st: number[] = [];
    const stage = (x: Float32Array) => (plane(x, 5) > 0 ? 2 : plane(x, 7) > 0 ? 1 : 0);
    st.push(stage(o));
    for (const a of env.solve() ?? []) { o = env.step(a).obs; frames.push(env.render()); st.push(stage(o)); }
    const r = await judge.scoreFrames(frames);
    st.forEach((k, t) => { acc[k]!.frames++; acc[k]!.sumR += r[t]!; acc[k]!.helpful += r[t]! > threshold ? 1 : 0; });
  }
  void C;
  return Object.fromEntries(stages.map((n, k) => [n, { frames: acc[k]!.frames, meanR: acc[k]!.sumR / Math.max(1, acc[k]!.frames), helpful: acc[k]!.helpful / Math.max(1, acc[k]!.frames) }]));
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
    const d = await diagnose();
    console.log(d);
    writeFileSync(join(ROOT, 'docs', 'results', MODE === 'steps' ? 'perceptual-judge-steps.json' : 'perceptual-judge.json'), JSON.stringify(d, null, 1) + '\n');
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
  writeFileSync(join(outDir, 'perceptual.json'), JSON.stringify(results, null, 1) + '\n');
  const md = report(results, outDir);
  writeFileSync(join(outDir, 'perceptual.md'), md);
  console.log(md);
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s wall`);
}

await main();
