/**
 * `npm run bench -- runner [--seconds S]`: the experiment pipeline's throughput.
 *   1. bare: the default experiment's env and policy stepped in one thread (same N envs, same batched
 *      act(), same per-step bookkeeping shape) — the ceiling of one actor thread;
 *   2. the pipeline end to end with 1 and 2 actor workers (learner thread running, annotator on):
 *      env steps/s over the run after the first update (start-up excluded);
 *   3. the pipeline's actor loop per busy actor-second (steps / time the actor spent inside tasks):
 *      overhead = 1 − that ÷ bare (target ≤ 10%); and, steadier, the actor's task code (rollout +
 *      encoding) against the bare loop in this one thread, per CPU-second, interleaved (target ≥ 0.9);
 *   4. text: generated tokens/s of the Addition-v0 experiment (1 worker), if the token policy exists.
 * Compares as ratios within one run (the machine is noisy). Last line: one JSON object.
 */
import { runExperiment } from '../../runner/experiment.ts';
import { getExperiment } from '../../runner/experiments/index.ts';
import { resolveExperiment } from '../../runner/resolve.ts';
import { GamePolicy, initBackend } from '../../agents/index.ts';
import { makeEnv } from '../../envs/index.ts';
import { buildPolicy } from '../../runner/actor/policy.ts';
import { SeededRng } from '../../core/rng.ts';
import { actorLoopComparison } from './lib/actor-loop.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const argSeconds = process.argv.indexOf('--seconds');
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 25;
const dir = mkdtempSync(join(tmpdir(), 'thrive-bench-runner-'));

async function bare(name: string, seconds: number): Promise<number> {
  const { config, envRef } = await resolveExperiment(getExperiment(name));
  await initBackend();
  const policy = buildPolicy(config.policy);
  if (!(policy instanceof GamePolicy)) throw new Error(`bench runner: experiment '${name}' is not a game`);
  const N = config.env.groupSize * config.actors.groupsPerTask;
  const instances = await Promise.all(Array.from({ length: N }, () => makeEnv(envRef, config.env.options)));
  const obsDim = policy.config.obsShape.reduce((a, b) => a * b, 1);
  const obs = new Float32Array(N * obsDim);
  const maxSteps = instances[0].spec.maxEpisodeSteps;
  const store = new Float32Array(N * maxSteps * obsDim);
  const rng = new SeededRng(1);
  let seed = 0;
  const lens = new Int32Array(N);
  for (let n = 0; n < N; n++) obs.set(instances[n].reset({ seed: seed++ }).obs as Float32Array, n * obsDim);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const { actions } = policy.act(obs, N, { rng: rng.next, hidden: false });
    for (let n = 0; n < N; n++) {
      store.set(obs.subarray(n * obsDim, (n + 1) * obsDim), (n * maxSteps + lens[n]) * obsDim);
      const r = instances[n].step(actions[n]);
      steps++;
      lens[n]++;
      if (r.terminated || r.truncated || lens[n] >= maxSteps) {
        lens[n] = 0;
        obs.set(instances[n].reset({ seed: seed++ }).obs as Float32Array, n * obsDim);
      } else obs.set(r.obs as Float32Array, n * obsDim);
    }
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  policy.dispose();
  return rate;
}

async function pipeline(name: string, workers: number, seconds: number): Promise<{ stepsPerSec: number; actorStepsPerBusySec: number; updates: number; rssMB: number }> {
  const cfg = getExperiment(name) as Record<string, any>;
  cfg.name = `bench-${name}-${workers}w`;
  cfg.budget = { seconds };
  cfg.actors = { ...cfg.actors, workers };
  cfg.logging = { ...cfg.logging, dir, checkpointEvery: 0, episodeEvery: 0 };
  cfg.server = { enabled: false };
  if (cfg.rewards?.annotator === undefined && cfg.rewards) cfg.rewards.annotator = { cacheDir: null };
  const r = await runExperiment(cfg, { quiet: true });
  const m = r.metrics;
  if (m.length === 0) throw new Error(`pipeline ${name} with ${workers} worker(s): no update finished in ${seconds} s (a loaded machine?): pass a larger --seconds`);
  const first = m[0];
  const last = m[m.length - 1];
  const stepsPerSec = m.length > 1 ? (last.envSteps - first.envSteps) / (last.time - first.time) : NaN;
  return { stepsPerSec, actorStepsPerBusySec: last.actorSteps / (last.actorBusyMs / 1000), updates: m.length, rssMB: last.rssMB };
}

const out: Record<string, unknown> = { seconds: SECONDS };
// Bare is measured before and after the pipelines (the machine is shared; the mean is the reference).
const bareBefore = await bare('keydoor-thr', Math.min(10, SECONDS));
console.log(`bare keydoor-thr env+policy, one thread (before): ${bareBefore.toFixed(0)} steps/s`);
for (const w of [1, 2]) {
  const p = await pipeline('keydoor-thr', w, SECONDS);
  console.log(`pipeline keydoor-thr, ${w} actor worker(s): ${p.stepsPerSec.toFixed(0)} env steps/s end to end (${p.updates} updates), actor loop ${p.actorStepsPerBusySec.toFixed(0)} steps per busy actor-second, rss ${p.rssMB.toFixed(0)} MB`);
  out[`pipeline${w}w`] = p;
}
const bareAfter = await bare('keydoor-thr', Math.min(10, SECONDS));
console.log(`bare keydoor-thr env+policy, one thread (after): ${bareAfter.toFixed(0)} steps/s`);
const bareRate = (bareBefore + bareAfter) / 2;
out.bareStepsPerSec = bareRate;
out.bareBefore = bareBefore;
out.bareAfter = bareAfter;
const p1 = out.pipeline1w as { stepsPerSec: number; actorStepsPerBusySec: number };
const p2 = out.pipeline2w as { stepsPerSec: number };
out.actorLoopOverhead = 1 - p1.actorStepsPerBusySec / bareRate;
out.endToEnd1wOverBare = p1.stepsPerSec / bareRate;
out.scaling2wOver1w = p2.stepsPerSec / p1.stepsPerSec;
console.log(`actor-loop overhead vs bare: ${(100 * (out.actorLoopOverhead as number)).toFixed(1)}% (target ≤ 10%); end-to-end 1 worker / bare: ${(out.endToEnd1wOverBare as number).toFixed(2)}; 2 workers / 1 worker: ${(out.scaling2wOver1w as number).toFixed(2)} (2 cores shared with the learner thread)`);
{
  const c = await actorLoopComparison(5);
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
  out.actorTaskOverBarePerCpuSecond = med(c.ratio);
  out.actorTaskPerCpuSecond = { bare: med(c.bareRates), actor: med(c.actorRates), ratios: c.ratio.map((x) => +x.toFixed(3)) };
  console.log(`actor task code vs bare loop, same thread, per CPU-second: ${med(c.actorRates).toFixed(0)} vs ${med(c.bareRates).toFixed(0)} steps → ${med(c.ratio).toFixed(2)} (rounds ${c.ratio.map((x) => x.toFixed(2)).join(' ')}; target ≥ 0.9)`);
}
try {
  const t = await pipeline('addition-thr', 1, SECONDS);
  console.log(`pipeline addition-thr (text), 1 actor worker: ${t.stepsPerSec.toFixed(0)} generated tokens/s end to end (${t.updates} updates)`);
  out.textTokensPerSec = t.stepsPerSec;
} catch (err) {
  console.log(`text pipeline not measured: ${(err as Error).message.split('\n')[0]}`);
  out.textTokensPerSec = null;
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out));
