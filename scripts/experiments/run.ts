/**
 * `npm run experiment -- <suite> [--seeds 3 | --seeds 4,5 | --seeds 2-5] [--quick] [--parallel 2] [--arms a,b] [--replot] [--restore]`
 *
 * Runs one experiment suite (scripts/experiments/suites.ts): every arm × seed as its own `npm start`-style
 * process (scripts/start.ts --config, no server), at most --parallel at once; for token tasks then evaluates
 * the warm start and every saved checkpoint on the held-out split (eval-text.ts). Raw run directories go to
 * runs/experiments/<suite>/ (git-ignored); the numbers every table and plot is made from go to
 * docs/results/<suite>.json, the plots to docs/results/<suite>-*.svg and a table digest to
 * docs/results/<suite>.md. A finished arm × seed (its job.json exists) is not rerun: re-running the
 * command after a crash continues; --replot only rebuilds the outputs from finished jobs. --seeds N is seeds
 * 1..N; --seeds 4,5 or 2-5 is those seeds only, and --arms those arms only (to add an arm or split a study
 * over machines or worktrees). The results file always holds every finished job of the suite: those in
 * runs/ and those of the file it replaces that runs/ lacks (reuse.ts keptJobs), so running part of a study
 * never drops the rest; a study run in pieces on two machines is joined by putting its job folders in one
 * runs/ and running --replot.
 * --restore first writes the finished jobs of docs/results/<suite>.json back to runs/ (reuse.ts), so a study
 * goes on, or is replotted, on a machine that does not have its runs/ directory.
 * --quick writes to runs/experiments-quick/ and docs/results/quick/ (a smoke test, not results).
 * `npm run experiment -- regime <env-id> …` runs the regime check instead (scripts/experiments/regime.ts).
 */
import type { ExperimentConfigInput } from '../../runner/config.ts';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SUITES, type Suite, type SuiteEval } from './suites.ts';
import { report } from './report.ts';
import { keptJobs, restoreJobs, reusedJob } from './reuse.ts';
import { writeJson } from './json-file.ts';
import type { CheckpointEval } from './eval-text.ts';
import { pointJudgeAt, startStandInProcess, type StandInProcessOptions } from '../../rewards/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** This invocation as a user would type it (--replot left out: it makes no runs). */
const INVOCATION = `npm run experiment -- ${process.argv.slice(2).filter((a) => a !== '--replot').join(' ')}`;
const USAGE = `usage: npm run experiment -- <suite> [--seeds N (seeds 1..N; default: the suite's, else 3) | --seeds 4,5 or 2-5 (those seeds)] [--quick] [--parallel N] [--arms a,b] [--replot] [--restore]
suites: ${Object.keys(SUITES).join(', ')}
   or: npm run experiment -- regime <env-id> [--options JSON] [--episodes N] [--groups M]   (sparsity and message check, no training)`;

export interface JobResult {
  arm: string;
  seed: number;
  runDir: string;
  wallSeconds: number;
  evalSeconds: number;
  summary: Record<string, unknown>;
  /** Per update: the few metrics the reports use. */
  metrics: { step: number[]; envSteps: number[]; time: number[]; successRate: number[]; returnMean: number[]; extrinsicMean: number[]; intrinsicMean: number[]; extra: Record<string, number[]> };
  eval?: CheckpointEval[];
  /** '<suite>/<arm>' when this job is that arm's run of the same config (Arm.sameRunAs), not a run of its own. */
  reusedFrom?: string;
  /** The `npm run experiment` invocation that ran this job (absent in jobs made before it was recorded). */
  command?: string;
}

export interface SuiteResults {
  suite: string;
  title: string;
  quick: boolean;
  command: string;
  seeds: number[];
  arms: Array<{ name: string; label: string; config: Record<string, unknown>; standIn?: StandInProcessOptions }>;
  budget: { updates: number; checkpointEvery: number };
  eval: SuiteEval | null;
  warmStart: CheckpointEval | null;
  /** The suite's declaration (protocol), when it has one. */
  declaration?: Suite['declaration'];
  jobs: JobResult[];
  machine: { cpus: number; node: string; date: string };
}

function parse(argv: string[]) {
  const o = { suite: '', seeds: null as number[] | null, quick: false, parallel: 2, arms: null as string[] | null, replot: false, restore: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--seeds') o.seeds = parseSeeds(val());
    else if (a === '--parallel') o.parallel = Number(val());
    else if (a === '--arms') o.arms = val().split(',');
    else if (a === '--quick') o.quick = true;
    else if (a === '--replot') o.replot = true;
    else if (a === '--restore') o.restore = true;
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('-')) throw new Error(`unknown flag '${a}'`);
    else if (!o.suite) o.suite = a;
    else throw new Error(`unexpected argument '${a}'`);
  }
  if (!o.suite) throw new Error('name a suite');
  if (!SUITES[o.suite]) throw new Error(`unknown suite '${o.suite}'. Valid: ${Object.keys(SUITES).join(', ')}`);
  if (!Number.isInteger(o.parallel) || o.parallel < 1) throw new Error(`--parallel must be a positive integer, got ${o.parallel}`);
  return { ...o, seeds: o.seeds ?? parseSeeds(String(SUITES[o.suite]!({ quick: o.quick }).seeds ?? 3)) };
}

/** `--seeds N` → seeds 1..N; `--seeds 4,5` or `--seeds 2-5` (items and ranges, `5-5` for one) → those seeds, in that order. */
export function parseSeeds(v: string): number[] {
  const bad = () => new Error(`--seeds takes a count N (seeds 1..N) or a list of distinct positive seeds and ranges such as 4,5 or 2-5 (5-5 for seed 5 alone); got '${v}'`);
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  if (/^\d+$/.test(v)) {
    if (Number(v) < 1) throw bad();
    return range(1, Number(v));
  }
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw bad();
  const seeds = v.split(',').flatMap((item) => {
    const [a, b = a] = item.split('-').map(Number) as [number, number?];
    if (a < 1 || b < a) throw bad();
    return range(a, b);
  });
  if (new Set(seeds).size !== seeds.length) throw bad();
  return seeds;
}

function sh(cmd: string, args: string[], logFile: string): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, THRIVE_BACKEND_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', rej);
    p.on('close', (code) => {
      writeFileSync(logFile, Buffer.concat(chunks));
      if (code === 0) res();
      else rej(new Error(`${cmd} ${args.join(' ')} exited with ${code}; log: ${logFile}`));
    });
  });
}

/**
 * docs/results record run directories relative to the repository, never this machine's absolute paths
 * (summary.json holds the absolute one; job.json files of older runs too).
 */
function withRelativePaths(j: JobResult): JobResult {
  const runDir = relative(ROOT, resolve(ROOT, j.runDir)).split(sep).join('/');
  // summary.runDir is the absolute path the run wrote to; a job folder made in another checkout (a worktree)
  // and moved here would keep that checkout's path, so it is set to the job's own run directory.
  return { ...j, runDir, summary: typeof j.summary.runDir === 'string' ? { ...j.summary, runDir } : j.summary };
}

/** Every finished job (its <arm>-s<seed>/job.json) under the suite's runs/ folder, of the suite's arms. */
function finishedJobs(suite: Suite, baseDir: string): JobResult[] {
  if (!existsSync(baseDir)) return [];
  const names = readdirSync(baseDir);
  return suite.arms.flatMap((arm) => names
    .filter((n) => n.startsWith(`${arm.name}-s`) && /^\d+$/.test(n.slice(arm.name.length + 2)) && existsSync(join(baseDir, n, 'job.json')))
    .map((n) => JSON.parse(readFileSync(join(baseDir, n, 'job.json'), 'utf8')) as JobResult));
}

function readMetrics(runDir: string): JobResult['metrics'] {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  const col = (k: string) => lines.map((r) => (typeof r[k] === 'number' ? r[k]! : NaN));
  const extraKeys = ['learner_entropy', 'learner_thrPositive', 'learner_thrNegative', 'learner_thrSelected', 'learner_thrSignDisagreement', 'learner_zeroStdFraction', 'episodeLength', 'ann_captionsLabelled', 'ann_backlogDepth', 'rm_heldOutAccuracy',
    'cIntNow', 'ann_captionsSent', 'ann_captionsNotSent', 'ann_labelsLate', 'ann_labelLatencyMs', 'ann_judgeAttempts', 'ann_judgeDown',
    'rm_unseenCaptions', 'rm_unseenAccuracy', 'rm_unseenBalancedAccuracy'];
  const extra: Record<string, number[]> = {};
  for (const k of extraKeys) if (lines.some((r) => typeof r[k] === 'number')) extra[k] = col(k);
  return { step: col('step'), envSteps: col('envSteps'), time: col('time'), successRate: col('successRate'), returnMean: col('returnMean'), extrinsicMean: col('extrinsicMean'), intrinsicMean: col('intrinsicMean'), extra };
}

async function runJob(suite: Suite, armName: string, seed: number, quick: boolean, baseDir: string): Promise<JobResult> {
  const arm = suite.arms.find((a) => a.name === armName)!;
  const jobDir = join(baseDir, `${arm.name}-s${seed}`);
  const done = join(jobDir, 'job.json');
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as JobResult;
  mkdirSync(jobDir, { recursive: true });
  const reused = reusedJob(arm, seed, baseDir);
  if (reused) { writeJson(done, reused); return reused; }
  const b = quick ? suite.quick : suite.budget;
  const config: ExperimentConfigInput = {
    ...arm.config,
    seed,
    budget: { updates: b.updates },
    logging: { ...arm.config.logging, dir: jobDir, checkpointEvery: b.checkpointEvery, keepCheckpoints: 1000 },
  };
  // An LLM judge in the loop: a stand-in server process on loopback for this run only (its own seed).
  const standIn = arm.standIn ? await startStandInProcess({ seed, ...arm.standIn }) : null;
  let wallSeconds: number;
  try {
    if (standIn) {
      const rewards = config.rewards as Record<string, unknown>;
      config.rewards = { ...rewards, judge: pointJudgeAt(rewards.judge as Record<string, unknown>, standIn.url) };
    }
    writeJson(join(jobDir, 'config.input.json'), config);
    const t0 = performance.now();
    await sh('npx', ['tsx', 'scripts/start.ts', '--config', join(jobDir, 'config.input.json'), '--no-server', '--quiet'], join(jobDir, 'train.log'));
    wallSeconds = (performance.now() - t0) / 1000;
  } finally {
    await standIn?.stop();
  }
  const runDir = readdirSync(jobDir).map((n) => join(jobDir, n)).find((p) => existsSync(join(p, 'summary.json')));
  if (!runDir) throw new Error(`${arm.name} seed ${seed}: no run directory with summary.json under ${jobDir}`);
  const result: JobResult = {
    arm: arm.name, seed, runDir: runDir.slice(ROOT.length + 1), wallSeconds, evalSeconds: 0, command: INVOCATION,
    summary: JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>,
    metrics: readMetrics(runDir),
  };
  // A run whose every episode faulted still "completes" (the runner discards faulted groups): not a result.
  if (!((result.summary.episodes as number) > 0)) {
    throw new Error(`${arm.name} seed ${seed}: the run finished no episode (env faults ${String(result.summary.envFaults)}, worker faults ${String(result.summary.workerFaults)}); see ${join(jobDir, 'train.log')} and the run's events`);
  }
  if (suite.eval) {
    const ev = quick ? suite.eval.quick : suite.eval.full;
    const ckDir = join(runDir, 'checkpoints');
    const cks = readdirSync(ckDir).filter((n) => /^ckpt-\d{8}$/.test(n)).sort();
    const env = config.env!;
    const spec = {
      envId: env.id, envOptions: env.options ?? {}, warmStart: suite.eval.warmStart, temperature: evalTemperature(suite), ...ev, seed,
      checkpoints: cks.map((n) => ({ label: n, update: Number(n.slice(5)), path: join(ckDir, n, 'policy.safetensors') })),
    };
    writeJson(join(jobDir, 'eval.spec.json'), spec);
    const t1 = performance.now();
    await sh('npx', ['tsx', suite.eval.script ?? 'scripts/experiments/eval-text.ts', '--spec', join(jobDir, 'eval.spec.json'), '--out', join(jobDir, 'eval.json')], join(jobDir, 'eval.log'));
    result.evalSeconds = (performance.now() - t1) / 1000;
    result.eval = JSON.parse(readFileSync(join(jobDir, 'eval.json'), 'utf8')) as CheckpointEval[];
  }
  writeJson(done, result);
  return result;
}

/**
 * Held-out samples and answer masses are taken at the arms' training temperature (learner.temperature, default 1),
 * unless the suite's eval section sets its own `temperature`.
 */
function evalTemperature(suite: Suite): number {
  const t = (suite.arms[0]!.config.learner as { temperature?: unknown } | undefined)?.temperature;
  return typeof t === 'number' ? t : 1;
}

async function warmStartEval(suite: Suite, quick: boolean, baseDir: string): Promise<CheckpointEval | null> {
  if (!suite.eval?.warmStart) return null;
  const out = join(baseDir, 'warm-start.eval.json');
  if (!existsSync(out)) {
    mkdirSync(baseDir, { recursive: true });
    const ev = quick ? suite.eval.quick : suite.eval.full;
    const env = suite.arms[0]!.config.env!;
    // The same eval seed as seed 1's checkpoints; the warm start is one policy shared by every arm and seed.
    const spec = { envId: env.id, envOptions: env.options ?? {}, warmStart: suite.eval.warmStart, temperature: evalTemperature(suite), ...ev, seed: 1, checkpoints: [{ label: 'warm-start', update: 0, path: null }] };
    writeJson(join(baseDir, 'warm-start.spec.json'), spec);
    await sh('npx', ['tsx', suite.eval.script ?? 'scripts/experiments/eval-text.ts', '--spec', join(baseDir, 'warm-start.spec.json'), '--out', out], join(baseDir, 'warm-start.log'));
  }
  return (JSON.parse(readFileSync(out, 'utf8')) as CheckpointEval[])[0]!;
}

async function main(): Promise<void> {
  let o;
  try { o = parse(process.argv.slice(2)); } catch (e) { console.error(`error: ${(e as Error).message}\n${USAGE}`); process.exit(2); }
  const suite = SUITES[o.suite]!({ quick: o.quick });
  if (o.arms) {
    const bad = o.arms.filter((a) => !suite.arms.some((x) => x.name === a));
    if (bad.length) { console.error(`error: unknown arm(s) ${bad.join(', ')} of suite '${suite.name}'. Valid: ${suite.arms.map((a) => a.name).join(', ')}`); process.exit(2); }
  }
  if (suite.declaration) {
    const d = suite.declaration;
    console.log(`[${suite.name}] declared before running —\n  claim: ${d.claim}\n  sources: ${d.sources.join('; ')}\n  primary: ${d.primaryMetric}\n  budget: ${d.budget}\n  against the claim: ${d.against.join(' ')}`);
  }
  const baseDir = join(ROOT, 'runs', o.quick ? 'experiments-quick' : 'experiments', suite.name);
  const outDir = join(ROOT, 'docs', 'results', o.quick ? 'quick' : '');
  mkdirSync(outDir, { recursive: true });
  const seeds = o.seeds;
  const arms = suite.arms.filter((a) => !o.arms || o.arms.includes(a.name));
  const t0 = performance.now();
  if (o.restore) {
    const file = join(outDir, `${suite.name}.json`);
    if (!existsSync(file)) { console.error(`error: --restore reads ${file}, which does not exist`); process.exit(2); }
    try {
      const n = restoreJobs(suite, JSON.parse(readFileSync(file, 'utf8')) as SuiteResults, baseDir, file);
      console.log(`[${suite.name}] restored ${n} finished job(s) from ${relative(ROOT, file)}`);
    } catch (e) { console.error(`error: ${(e as Error).message}`); process.exit(2); }
  }
  const warm = await warmStartEval(suite, o.quick, baseDir);
  // Seed-major order: with a time limit, every arm gets its first seeds before anyone gets a third.
  const queue = seeds.flatMap((s) => arms.map((a) => ({ arm: a.name, seed: s })));
  const failures: string[] = [];
  if (!o.replot) {
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const j = queue[next++]!;
        const t = performance.now();
        try {
          const r = await runJob(suite, j.arm, j.seed, o.quick, baseDir);
          const last = r.summary.successRateLast as number;
          const ev = r.eval?.at(-1);
          console.log(`[${suite.name}] ${j.arm} seed ${j.seed}: ${((performance.now() - t) / 1000).toFixed(0)} s, train success last 10% ${(last * 100).toFixed(1)}%${ev ? `, held-out greedy ${(ev.greedy * 100).toFixed(1)}%` : ''}`);
        } catch (e) {
          failures.push(`${j.arm} seed ${j.seed}: ${(e as Error).message}`);
          console.error(`[${suite.name}] ${j.arm} seed ${j.seed} FAILED: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.parallel }, worker));
  }
  // The results file holds every finished job of the suite, not only this invocation's arms and seeds: those
  // in runs/, and those of the file it replaces that runs/ lacks (with their arm's config unchanged).
  const jobs = finishedJobs(suite, baseDir);
  const file = join(outDir, `${suite.name}.json`);
  const earlier = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as SuiteResults : null;
  if (earlier) {
    const { kept, dropped } = keptJobs(suite, earlier, new Set(jobs.map((j) => `${j.arm}-s${j.seed}`)));
    jobs.push(...kept);
    if (dropped.length) console.warn(`[${suite.name}] ${relative(ROOT, file)}: not kept, their arm is gone or its config changed: ${dropped.join(', ')}`);
  }
  const withJobs = suite.arms.filter((a) => jobs.some((j) => j.arm === a.name));
  jobs.sort((a, b) => withJobs.findIndex((x) => x.name === a.arm) - withJobs.findIndex((x) => x.name === b.arm) || a.seed - b.seed);
  const results: SuiteResults = {
    suite: suite.name, title: suite.title, quick: o.quick,
    // A replot makes no runs: the command stays the one that made them (each job also records its own).
    command: o.replot && earlier ? earlier.command : INVOCATION,
    seeds: [...new Set(jobs.map((j) => j.seed))].sort((a, b) => a - b),
    arms: withJobs.map((a) => ({ name: a.name, label: a.label, config: { ...a.config }, ...(a.standIn ? { standIn: a.standIn } : {}) })),
    budget: o.quick ? suite.quick : suite.budget,
    eval: suite.eval ? (o.quick ? suite.eval.quick : suite.eval.full) : null,
    warmStart: warm, jobs: jobs.map(withRelativePaths),
    ...(suite.declaration ? { declaration: suite.declaration } : {}),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, date: new Date().toISOString() },
  };
  writeJson(file, results);
  const md = (suite.report ?? report)(results, outDir);
  writeFileSync(join(outDir, `${suite.name}.md`), md);
  console.log(md);
  console.log(`\n${jobs.length} runs, ${failures.length} failed, ${((performance.now() - t0) / 1000).toFixed(0)} s wall; wrote ${join(outDir, suite.name)}.{json,md,*.svg}`);
  for (const f of failures) console.log(`failed: ${f}`);
  process.exit(failures.length ? 1 : 0);
}

// `npm run experiment -- regime <env-id> …` is the sparsity/message check of scripts/experiments/regime.ts (no training).
// Only as the entry point: tests import parseSeeds without starting a suite.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === 'regime') await (await import('./regime.ts')).main(process.argv.slice(3));
  else await main();
}
