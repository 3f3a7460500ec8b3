/**
 * `npm run bench -- torch [--quick] [--rounds N] [--seconds S] [--only learner,sample,e2e] [--with-rewards]`:
 * thrive against a plain synchronous PyTorch loop of the same models, tasks and batches on the same
 * cores (scripts/bench/torch_reference.py, a benchmark comparator: Debian's python3-torch, one thread).
 *
 *   0. the machine: a 1024³ matMul in tfjs-wasm and in torch (and which BLAS torch loaded);
 *   1. learner step (forward + backward + AdamW, the full GRPO + THR update) on one update's batch of
 *      addition-thr, toolcalc-thr and keydoor-thr, sampled by the actors' own code — the same batch on
 *      both sides; figure: thrive ms ÷ torch ms (target ≤ 2.5);
 *   2. KV-cache sampling, 32 rows from 8-token prompts to the context (32: the Addition warm start,
 *      96: the ToolCalc one); figure: thrive tokens/s ÷ torch tokens/s (target ≥ 0.5);
 *   3. end to end: thrive's pipeline (runExperiment, 1 actor worker) against the synchronous loop, for
 *      addition-thr (generated tokens/s) and keydoor-thr (env steps/s; THR-GRPO on the extrinsic reward,
 *      the judge and reward model off on both sides unless --with-rewards, which keeps thrive's); figure:
 *      thrive ÷ torch (target ≥ 0.5, goal ≥ 1). Also the pipeline's Amdahl picture: actors alone
 *      (steps per busy actor-second), learner alone (steps per learner-second) and end to end.
 * Every figure is measured in interleaved rounds (thrive, torch, thrive, torch, …) in this one run and
 * reported as the median ratio [min–max] over rounds. Without /usr/bin/python3 + torch (or THRIVE_PYTHON)
 * it prints why and skips. Last line: one JSON object.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GrpoLearner, initBackend, makeRng, policyFromCheckpoint, type TokenPolicy } from '../../agents/index.ts';
import { getExperiment } from '../../runner/experiments/index.ts';
import { runExperiment } from '../../runner/experiment.ts';
import { experimentBatch, type BenchBatch } from './lib/batches.ts';

process.env.THRIVE_BACKEND_QUIET = '1';
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, dflt: number) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : dflt; };
const quick = flag('quick');
const ROUNDS = opt('rounds', quick ? 2 : 5);
const SECONDS = opt('seconds', quick ? 8 : 20);
const onlyArg = argv.indexOf('--only') >= 0 ? argv[argv.indexOf('--only') + 1]!.split(',') : ['learner', 'sample', 'e2e'];
const PYTHON = process.env.THRIVE_PYTHON ?? '/usr/bin/python3';
const REF = new URL('./torch_reference.py', import.meta.url).pathname;
const out: Record<string, unknown> = { load: loadavg().map((x) => +x.toFixed(2)), rounds: ROUNDS };

const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__, torch.get_num_threads())'], { encoding: 'utf8' });
if (probe.status !== 0) {
  const why = probe.error ? `${PYTHON} not found` : `${PYTHON} cannot import torch (${probe.stderr.trim().split('\n').pop()})`;
  console.log(`torch comparison skipped: ${why}. Install Debian's python3-torch (with libopenblas0-openmp for the BLAS a user would run) or set THRIVE_PYTHON.`);
  console.log(JSON.stringify({ skipped: why }));
  process.exit(0);
}
out.torchDefaultThreads = Number(probe.stdout.trim().split(' ')[1]);

/** The comparator process: one JSON command per line in, one JSON reply per line out. */
class Torch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: Array<(v: Record<string, any>) => void> = [];
  constructor(threads: number) {
    this.child = spawn(PYTHON, [REF, String(threads)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
    createInterface({ input: this.child.stdout }).on('line', (l) => this.replies.shift()?.(JSON.parse(l)));
    this.child.stderr.on('data', (d) => process.stderr.write(`[torch] ${d}`));
  }
  ask(cmd: Record<string, unknown>): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      this.replies.push((v) => (v.error ? reject(new Error(`torch comparator: ${v.error}`)) : resolve(v)));
      this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  }
  close(): void { this.child.stdin.end(); }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const summary = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: xs.map((x) => +x.toFixed(3)) });
const fmt = (s: { median: number; min: number; max: number }, d = 2) => `${s.median.toFixed(d)} [${s.min.toFixed(d)}–${s.max.toFixed(d)}]`;
/** Wall and CPU milliseconds per call (CPU time is the steadier figure on a shared machine). */
const timeBoth = (f: () => void, reps: number) => {
  f();
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  return { ms: (performance.now() - t0) / reps, cpuMs: (c.user + c.system) / 1000 / reps };
};
const timeMs = (f: () => void, reps: number) => timeBoth(f, reps).ms;

await initBackend('wasm');
const dir = mkdtempSync(join(tmpdir(), 'thrive-bench-torch-'));
const torch = new Torch(1);
try {
  // ── 0. the machine ──────────────────────────────────────────────────────────────────────────────
  {
    const info = await torch.ask({ cmd: 'info' });
    const a = tf.randomNormal([1024, 1024]), b = tf.randomNormal([1024, 1024]);
    const ms = timeMs(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }, 5);
    tf.dispose([a, b]);
    const wasmGflops = (2 * 1024 ** 3) / ms / 1e6;
    console.log(`machine: 1024³ matMul tfjs-wasm ${wasmGflops.toFixed(1)} GFLOP/s, torch ${info.torch} (${info.threads} thread, BLAS ${info.blas.join(', ') || 'not found in the process maps'}) ${info.gflops1024.toFixed(1)} GFLOP/s; torch's default thread count here: ${out.torchDefaultThreads}; load ${(out.load as number[]).join(' ')}`);
    Object.assign(out, { torch: info.torch, torchBlas: info.blas, torchGflops1024: info.gflops1024, wasmGflops1024: wasmGflops });
  }

  // ── 1. learner step ─────────────────────────────────────────────────────────────────────────────
  if (onlyArg.includes('learner')) {
    const learner: Record<string, unknown> = {};
    for (const name of ['addition-thr', 'toolcalc-thr', 'keydoor-thr']) {
      const bb = await experimentBatch(name);
      await torch.ask({ cmd: 'load', name, path: writeBatch(bb) });
      const lr = new GrpoLearner(bb.policy, bb.learner);
      const reps = bb.name.startsWith('toolcalc') ? (quick ? 2 : 4) : (quick ? 5 : 15);
      const thr: number[] = [], ref: number[] = [], ratio: number[] = [], cpuRatio: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const a = timeBoth(() => { lr.update(bb.batch); }, reps);
        const b = await torch.ask({ cmd: 'learner', name, reps });
        thr.push(a.ms); ref.push(b.ms); ratio.push(a.ms / b.ms); cpuRatio.push(a.cpuMs / b.cpuMs);
      }
      lr.dispose(); bb.policy.dispose();
      const inp = bb.batch.inputs as { T?: number };
      const shape = `B=${bb.batch.B} L=${bb.batch.L}${inp.T ? ` T=${inp.T}` : ''}`;
      console.log(`learner step ${name} (${shape}): thrive ${median(thr).toFixed(1)} ms, torch ${median(ref).toFixed(1)} ms → thrive/torch time ${fmt(summary(ratio))} (target ≤ 2.5); CPU time ${fmt(summary(cpuRatio))}`);
      learner[name] = { shape, thriveMs: median(thr), torchMs: median(ref), timeRatio: summary(ratio), cpuTimeRatio: summary(cpuRatio) };
    }
    out.learner = learner;
  }

  // ── 2. KV-cache sampling ────────────────────────────────────────────────────────────────────────
  if (onlyArg.includes('sample')) {
    const sample: Record<string, unknown> = {};
    for (const [ctx, ckpt] of [[32, 'agents/checkpoints/addition-v0.safetensors'], [96, 'agents/checkpoints/toolcalc-v0.safetensors']] as const) {
      const ROWS = 32, PROMPT = 8;
      const policy = policyFromCheckpoint(ckpt) as TokenPolicy;
      const rng = makeRng(1);
      const prompts = Array.from({ length: ROWS }, () => Int32Array.from({ length: PROMPT }, () => 4 + Math.floor(rng() * 90)));
      const run = () => {
        const s = policy.sampler(ROWS, { seed: 1 });
        prompts.forEach((p, r) => s.reset(r, p));
        for (let t = PROMPT; t < ctx; t++) s.sample();
      };
      const reps = quick ? 3 : 8;
      const thr: number[] = [], ref: number[] = [], ratio: number[] = [], cpuRatio: number[] = [];
      const tokens = ROWS * (ctx - PROMPT);
      for (let r = 0; r < ROUNDS; r++) {
        const t = timeBoth(run, reps);
        const b = await torch.ask({ cmd: 'sample', context: ctx, checkpoint: ckpt, rows: ROWS, prompt: PROMPT, reps });
        thr.push(tokens / (t.ms / 1000)); ref.push(b.tokensPerSec); ratio.push(tokens / (t.ms / 1000) / b.tokensPerSec);
        cpuRatio.push(b.cpuMs / t.cpuMs);
      }
      policy.dispose();
      console.log(`KV-cache sampling, ${ROWS} rows, context ${ctx}: thrive ${median(thr).toFixed(0)} tokens/s, torch ${median(ref).toFixed(0)} → thrive/torch ${fmt(summary(ratio))} (target ≥ 0.5); per CPU-second ${fmt(summary(cpuRatio))}`);
      sample[`ctx${ctx}`] = { thriveTokensPerSec: median(thr), torchTokensPerSec: median(ref), speedRatio: summary(ratio), cpuSpeedRatio: summary(cpuRatio) };
    }
    out.sample = sample;
  }

  // ── 3. end to end ───────────────────────────────────────────────────────────────────────────────
  if (onlyArg.includes('e2e')) {
    const e2e: Record<string, unknown> = {};
    for (const [name, task] of [['addition-thr', 'text'], ['keydoor-thr', 'game']] as const) {
      const exp = getExperiment(name) as Record<string, any>;
      const thr: number[] = [], ref: number[] = [], ratio: number[] = [];
      const amdahl: Array<Record<string, number>> = [];
      for (let r = 0; r < ROUNDS; r++) {
        const p = await pipeline(name, SECONDS);
        const t = await torch.ask({ cmd: 'e2e', task, seconds: SECONDS, warmup: Math.min(3, SECONDS / 4), lr: exp.learner.learningRate, checkpoint: exp.policy.checkpoint, context: 32, seed: r + 1 });
        const b = (task === 'text' ? t.tokens : t.steps) / t.seconds;
        thr.push(p.rate); ref.push(b); ratio.push(p.rate / b);
        amdahl.push({ ...p.amdahl, torchLearnerShare: t.learnerSeconds / t.seconds, torchMsPerUpdate: (1000 * t.seconds) / t.updates });
      }
      const unit = task === 'text' ? 'generated tokens/s' : 'env steps/s';
      const am = Object.fromEntries(Object.keys(amdahl[0]!).map((k) => [k, median(amdahl.map((a) => a[k]!))]));
      console.log(`end to end ${name}: thrive ${median(thr).toFixed(0)} ${unit}, torch loop ${median(ref).toFixed(0)} → thrive/torch ${fmt(summary(ratio))} (target ≥ 0.5, goal ≥ 1)`);
      console.log(`  thrive pipeline: actors alone ${am.actorsAlone!.toFixed(0)}, learner alone ${am.learnerAlone!.toFixed(0)}, end to end ${am.endToEnd!.toFixed(0)} ${unit} (${(100 * am.endToEnd! / Math.min(am.actorsAlone!, am.learnerAlone!)).toFixed(0)}% of the slower alone); learner ${am.learnerMsPerUpdate!.toFixed(0)} ms/update, actors ${am.actorMsPerUpdate!.toFixed(0)} ms/update`);
      console.log(`  torch loop: ${am.torchMsPerUpdate!.toFixed(0)} ms/update, ${(100 * am.torchLearnerShare!).toFixed(0)}% of it in the update (the rest sampling and task code)`);
      e2e[name] = { unit, thrive: median(thr), torch: median(ref), speedRatio: summary(ratio), amdahl: am };
    }
    out.e2e = e2e;
  }
} finally {
  torch.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The batch as the comparator reads it: JSON (and raw float32 observations for games). */
function writeBatch(bb: BenchBatch): string {
  const b = bb.batch;
  const path = join(dir, `${bb.name}.json`);
  const base = {
    kind: bb.kind, B: b.B, L: b.L, lr: bb.learner.learningRate, numActions: bb.numActions,
    actions: Array.from(b.actions), mask: Array.from(b.mask), behaviourLogp: Array.from(b.behaviourLogp),
    rewards: Array.from(b.rewards), groups: Array.from(b.groups), correct: Array.from(b.correct!, (x) => x === 1),
  };
  if (bb.kind === 'token') {
    const inp = b.inputs as { tokens: Int32Array; T: number; promptLength: number };
    writeFileSync(path, JSON.stringify({ ...base, T: inp.T, P: inp.promptLength, tokens: Array.from(inp.tokens), checkpoint: bb.checkpoint, context: bb.context }));
  } else {
    const obs = (b.inputs as { obs: Float32Array }).obs;
    const obsPath = join(dir, `${bb.name}.obs.f32`);
    writeFileSync(obsPath, new Uint8Array(obs.buffer, obs.byteOffset, obs.byteLength));
    writeFileSync(path, JSON.stringify({ ...base, obsDim: obs.length / (b.B * b.L), obsPath }));
  }
  return path;
}

/** thrive's pipeline on `name` for `seconds`: its rate after the first update and its Amdahl picture. */
async function pipeline(name: string, seconds: number): Promise<{ rate: number; amdahl: Record<string, number> }> {
  const cfg = getExperiment(name) as Record<string, any>;
  cfg.name = `bench-torch-${name}`;
  // Start-up (worker threads loading tfjs) is excluded: the run is stopped `seconds` after its first update.
  cfg.budget = { seconds: 3600 };
  cfg.actors = { ...cfg.actors, workers: 1 };
  cfg.logging = { ...cfg.logging, dir, checkpointEvery: 0, episodeEvery: 0 };
  cfg.server = { enabled: false };
  if (!flag('with-rewards')) cfg.rewards = null;
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const r = await runExperiment(cfg, {
    quiet: true, backend: 'wasm', signal: stop.signal,
    onMetrics: () => { timer ??= setTimeout(() => stop.abort(), seconds * 1000); },
  });
  clearTimeout(timer);
  const m = r.metrics;
  if (m.length < 3) throw new Error(`${name}: only ${m.length} updates in ${seconds} s; raise --seconds`);
  const first = m[0]!, last = m[m.length - 1]!;
  const steps = last.envSteps! - first.envSteps!;
  const updates = m.length - 1;
  const learnerMs = m.slice(1).reduce((s, x) => s + x.learnerMs!, 0);
  const actorMs = last.actorBusyMs! - first.actorBusyMs!;
  return {
    rate: steps / (last.time! - first.time!),
    amdahl: {
      endToEnd: steps / (last.time! - first.time!),
      actorsAlone: (last.actorSteps! - first.actorSteps!) / (actorMs / 1000),
      learnerAlone: steps / (learnerMs / 1000),
      learnerMsPerUpdate: learnerMs / updates,
      actorMsPerUpdate: actorMs / updates,
    },
  };
}

const ratioOf = (path: string[]) => { let v: any = out; for (const k of path) v = v?.[k]; return v?.median ?? null; };
Object.assign(out, {
  ratios: {
    learnerTimeAddition: ratioOf(['learner', 'addition-thr', 'timeRatio']),
    learnerTimeToolcalc: ratioOf(['learner', 'toolcalc-thr', 'timeRatio']),
    learnerTimeKeydoor: ratioOf(['learner', 'keydoor-thr', 'timeRatio']),
    sampleCtx32: ratioOf(['sample', 'ctx32', 'speedRatio']),
    sampleCtx96: ratioOf(['sample', 'ctx96', 'speedRatio']),
    e2eText: ratioOf(['e2e', 'addition-thr', 'speedRatio']),
    e2eGame: ratioOf(['e2e', 'keydoor-thr', 'speedRatio']),
  },
});
console.log(JSON.stringify(out));
