/**
 * `npm run bench -- rewards [--seconds 1.5]`
 *
 * 1. Actor throughput with the annotator on vs off. Real envs from envs/index.ts (KeyDoor, MultiRoom and
 *    Maze with move messages, Addition; 8 instances) step with random actions. Each comparison is ONE
 *    run alternating 250 ms windows off / on (the machine is shared, so separate runs are too noisy);
 *    the ratio is the median over on-windows of on / mean(neighbouring off-windows).
 *    - worker actor (the real layout): the actor loop runs in a worker thread and ships each batch's
 *      messages through a bounded queue (4 batches) to the main thread, which in on-windows keys the
 *      distinct captions and submits them to the annotator. With "policy forward" the actor also runs
 *      a 2-layer MLP on wasm over all envs every step — a STAND-IN for the policy's cost.
 *    - same thread (worst case): actor, annotator and judge client share one thread.
 *    - loads: env captions with the rubric judge (10 ms per batch), env captions with the LLM judge's
 *      real HTTP client against the STAND-IN server in its own process (5 ms per request), and a stress
 *      load where every caption is unique so the annotator never idles and its backlog overflows.
 *    Frames are not rendered (captions only).
 * 2. Labels/s against judges with a stated latency: the rubric judge at 50 ms per batch of 100 (2 in
 *    flight: ceiling 4000/s) and the LLM judge against the stand-in server at 25 ms per request with
 *    concurrency 8 (ceiling 320/s).
 * 3. Reward-model inference: score() captions/s for retrieval, classification and ranking (wasm backend).
 */
import { spawn } from 'node:child_process';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { makeEnvSync, registeredEnvContext, Rng, type Env } from '../../envs/index.ts';
import {
  Annotator, LlmJudge, RubricJudge, captionKey, createRewardModel, rubricLabel,
  validateJudgeConfig, validateModelConfig, type AnnotationRequest, type Judge, type LlmJudgeConfig, type RubricJudgeConfig,
} from '../../rewards/index.ts';

// ───────────── worker side: an actor thread stepping real envs and shipping messages ─────────────
if (!isMainThread) {
  const { seconds, unique, policy } = workerData as { seconds: number; unique: boolean; policy: boolean };
  const actors = makeActors();
  // Optional policy compute: a 2-layer MLP forward over all actors every step (128 → 64 → 8) on wasm,
  // a STAND-IN for the game policy's cost (actions stay random: only the compute is simulated).
  let forward: (() => void) | null = null;
  if (policy) {
    await tf.setBackend('wasm'); await tf.ready();
    const w1 = tf.randomNormal([128, 64], 0, 0.1, 'float32', 1), w2 = tf.randomNormal([64, 8], 0, 0.1, 'float32', 2);
    const x = tf.randomNormal([actors.length, 128], 0, 1, 'float32', 3);
    forward = () => { const y = tf.tidy(() => tf.softmax(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))); y.dataSync(); y.dispose(); };
  }
  // Bounded queue, as the runner's rollout queue: at most WINDOW batches not yet taken by the main thread.
  const WINDOW = 4;
  let unacked = 0;
  let wake: (() => void) | null = null;
  parentPort!.on('message', () => { unacked--; wake?.(); wake = null; });
  const BATCH = 128;
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const messages: string[] = [];
    const envIds: string[] = [];
    const perActor: string[][] = actors.map(() => []);
    for (let s = 0; s < BATCH; s++) {
      forward?.();
      actors.forEach((a, i) => {
        const r = a.env.step(a.rng.int(a.n));
        steps++;
        perActor[i]!.push(unique && r.info.message ? `${r.info.message} #${a.episode}.${s}` : r.info.message);
        if (r.terminated || r.truncated) { a.env.reset(); a.episode++; }
      });
    }
    for (let i = 0; i < actors.length; i++) { messages.push(...perActor[i]!); envIds.push(actors[i]!.id); }
    parentPort!.postMessage({ kind: 'batch', messages, envIds, perEnv: BATCH });
    unacked++;
    while (unacked >= WINDOW) await new Promise<void>((r) => { wake = r; });
  }
  parentPort!.postMessage({ kind: 'done', stepsPerSec: steps / ((performance.now() - t0) / 1000) });
  await new Promise(() => {}); // the main thread terminates this worker; never fall through to the main-thread code
}

const argSeconds = (() => { const i = process.argv.indexOf('--seconds'); return i > 0 ? Number(process.argv[i + 1]) : 1.5; })();
await tf.setBackend('wasm');
await tf.ready();

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const tick = () => new Promise<void>((r) => setImmediate(r));

// ───────────── 1. actor throughput ─────────────
interface Actor { env: Env<any, number>; id: string; rng: Rng; n: number; episode: number }
function makeActors(): Actor[] {
  const specs: Array<[string, Record<string, unknown>]> = [
    ['KeyDoor-v0', { moveMessages: true }], ['MultiRoom-v0', { moveMessages: true }], ['Maze-v0', { moveMessages: true }], ['Addition-v0', {}],
  ];
  const actors: Actor[] = [];
  let seed = 1;
  for (const [id, opts] of specs) for (let k = 0; k < 2; k++) {
    const env = makeEnvSync<Env<any, number>>(id, opts);
    env.reset({ seed: seed++ });
    const n = (env.actionSpace as unknown as { n: number }).n;
    actors.push({ env, id, rng: new Rng(seed * 7919), n, episode: 0 });
  }
  return actors;
}

const WINDOW_MS = 250;

/**
 * Ratio of actor throughput with the annotator on vs off, robust to a machine shared with other jobs:
 * one run alternates 250 ms windows off / on; each on-window is compared with the mean of the
 * off-windows either side of it, and the median of those ratios is reported.
 */
function windowRatio(stepsPerWindow: number[]): { off: number; on: number; ratio: number; windows: number } {
  const ratios: number[] = [], offs: number[] = [], ons: number[] = [];
  for (let i = 1; i + 1 < stepsPerWindow.length; i += 2) {
    const off = (stepsPerWindow[i - 1]! + stepsPerWindow[i + 1]!) / 2;
    ons.push(stepsPerWindow[i]!); offs.push(off);
    if (off > 0) ratios.push(stepsPerWindow[i]! / off);
  }
  const perSec = 1000 / WINDOW_MS;
  return { off: median(offs) * perSec, on: median(ons) * perSec, ratio: median(ratios), windows: stepsPerWindow.length };
}

/** Keys and submits a batch's distinct non-empty captions (what the trajectory-receiving side does). */
function submit(annotator: Annotator, messages: readonly string[], envIdOf: (i: number) => string): void {
  const requests: AnnotationRequest[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < messages.length; i++) {
    const caption = messages[i]!;
    if (!caption || seen.has(caption)) continue;
    seen.add(caption);
    const envId = envIdOf(i);
    requests.push({ key: captionKey(envId, caption), envId, caption });
  }
  annotator.request(requests);
  annotator.drainLabels();
}

/**
 * Same-thread worst case: one loop steps the envs (no policy) and, in on-windows, submits each batch's
 * captions; actor, annotator and judge client share the thread. Both modes record every message.
 */
async function sameThreadRun(annotator: Annotator, unique: boolean, seconds: number) {
  const actors = makeActors();
  const BATCH = 128;
  const messages: string[] = new Array(actors.length * BATCH).fill('');
  const windows: number[] = [0];
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const w = Math.floor((performance.now() - t0) / WINDOW_MS);
    while (windows.length <= w) windows.push(0);
    let k = 0;
    for (const a of actors) {
      for (let s = 0; s < BATCH; s++) {
        const r = a.env.step(a.rng.int(a.n));
        const msg = r.info.message;
        messages[k++] = unique && msg ? `${msg} #${a.episode}.${s}` : msg;
        if (r.terminated || r.truncated) { a.env.reset(); a.episode++; }
      }
    }
    if (w % 2 === 1) submit(annotator, messages, (i) => actors[Math.floor(i / BATCH)]!.id);
    windows[w]! += k;
    await tick();
  }
  windows.pop(); // the last window is partial
  return windowRatio(windows);
}

/** The real layout: the actor in a worker thread (bounded queue), the annotator on the main thread. */
async function threadedRun(annotator: Annotator, unique: boolean, seconds: number, policy: boolean) {
  const tsxApi = import.meta.resolve('tsx/esm/api'); // Node 20 workers do not inherit the tsx loader
  const entry = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(entry, { eval: true, workerData: { seconds, unique, policy } });
  const windows: number[] = [0];
  let t0 = -1;
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { kind: string; messages: string[]; envIds: string[]; perEnv: number }) => {
      if (m.kind === 'done') { void worker.terminate(); resolve(); return; }
      const now = performance.now();
      if (t0 < 0) t0 = now;
      const w = Math.floor((now - t0) / WINDOW_MS);
      while (windows.length <= w) windows.push(0);
      windows[w]! += m.messages.length;
      if (w % 2 === 1) submit(annotator, m.messages, (i) => m.envIds[Math.floor(i / m.perEnv)]!);
      worker.postMessage('ack');
    });
    worker.once('error', reject);
  });
  windows.pop();
  return windowRatio(windows);
}

type Run = { off: number; on: number; ratio: number; windows: number };
async function compare(name: string, judge: Judge, run: (a: Annotator) => Promise<Run>) {
  const annotator = new Annotator(judge, { cacheDir: null, batchSize: 100, inFlight: 2, backlog: 4096 });
  const r = await run(annotator);
  const m = annotator.metrics();
  await annotator.close();
  console.log(`actor throughput [${name}]: off ${r.off.toFixed(0)} steps/s, on ${r.on.toFixed(0)} steps/s, ratio ${r.ratio.toFixed(3)} ` +
    `(${r.windows} windows; annotator: seen ${m.captionsSeen}, unique ${m.captionsUnique}, labelled ${m.captionsLabelled}, dropped ${m.backlogDropped}, errors ${m.judgeErrorsTotal})`);
  return { ...r, labelled: m.captionsLabelled, dropped: m.backlogDropped };
}

const rubric = (latencyMs: number) => new RubricJudge(validateJudgeConfig({ kind: 'rubric', latencyMs }) as RubricJudgeConfig);
const llm = (url: string, concurrency: number) => new LlmJudge(validateJudgeConfig({ kind: 'llm', baseUrl: url, model: 'standin',
  apiKeyEnv: 'THRIVE_BENCH_NO_KEY', concurrency, timeoutMs: 5000 }) as LlmJudgeConfig, { env: {} });

/** The stand-in server in its own process, as a real judge server would be. */
async function spawnStandIn(latencyMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'rewards/testing/standin-openai-server.ts', '--port', '0', '--latency', String(latencyMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; const m = out.match(/at (http:\/\/\S+)/); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`stand-in server exited with ${code}`)));
  });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill); // never leave the server behind, even when the benchmark fails
  return { url, close: async () => { process.off('exit', kill); kill(); await new Promise((r) => child.once('exit', r)); } };
}

const SECS = argSeconds * 4; // 6 s = 24 windows of 250 ms per comparison
const server = await spawnStandIn(5);
const withPolicy = await compare('worker actor: envs + policy forward (stand-in MLP), env captions, rubric 10 ms/batch',
  rubric(10), (a) => threadedRun(a, false, SECS, true));
const withPolicyLlm = await compare('worker actor: envs + policy forward (stand-in MLP), env captions, LLM judge over HTTP (stand-in process, 5 ms)',
  llm(server.url, 8), (a) => threadedRun(a, false, SECS, true));
const envOnly = await compare('worker actor: envs only (random actions), env captions, rubric 10 ms/batch',
  rubric(10), (a) => threadedRun(a, false, SECS, false));
const envOnlyStress = await compare('worker actor: envs only, every caption unique, LLM judge over HTTP (stand-in process, 5 ms)',
  llm(server.url, 8), (a) => threadedRun(a, true, SECS, false));
const sameThread = await compare('same thread (worst case): envs only, env captions, rubric 10 ms/batch',
  rubric(10), (a) => sameThreadRun(a, false, SECS));
const sameThreadStress = await compare('same thread (worst case): envs only, every caption unique, LLM judge over HTTP (stand-in process, 5 ms)',
  llm(server.url, 8), (a) => sameThreadRun(a, true, SECS));
await server.close();

// ───────────── 2. labels/s ─────────────
async function labelRate(name: string, judge: Judge, n: number, ceiling: number) {
  const a = new Annotator(judge, { cacheDir: null, batchSize: 100, inFlight: 2, backlog: n });
  const items = Array.from({ length: n }, (_, i) => {
    const caption = `You move north. (${i})`;
    return { key: captionKey('KeyDoor-v0', caption), envId: 'KeyDoor-v0', caption };
  });
  const t0 = performance.now();
  a.request(items);
  await a.idle();
  const perSec = a.metrics().captionsLabelled / ((performance.now() - t0) / 1000);
  console.log(`labels/s [${name}]: ${perSec.toFixed(0)} (ceiling ${ceiling}, ${a.metrics().captionsLabelled} labels)`);
  await a.close();
  return perSec;
}
const rubricRate = await labelRate('rubric judge, 50 ms per batch of 100, 2 in flight', rubric(50), 2000, 4000);
const slowServer = await spawnStandIn(25);
const llmRate = await labelRate('LLM judge via stand-in server, 25 ms per request, concurrency 8', llm(slowServer.url, 8), 400, 320);
await slowServer.close();

// ───────────── 3. reward-model inference ─────────────
const COLORS = ['red', 'green', 'blue', 'purple', 'yellow', 'grey'];
const pool: string[] = [];
for (const c of COLORS) pool.push(`You pick up the ${c} key.`, `You unlock the door with the ${c} key.`);
for (const d of ['north', 'east', 'south', 'west']) pool.push(`You move ${d}.`);
pool.push('You bump into a wall.', 'The door is locked.', 'You open the door.', 'You enter a new room.', 'You reach the goal!');
const keyDoor = registeredEnvContext('KeyDoor-v0')!;
const labels = pool.map((caption) => ({ key: captionKey('KeyDoor-v0', caption), caption, label: rubricLabel(keyDoor, caption) }));
const batch = Array.from({ length: 256 }, (_, i) => pool[i % pool.length]!);
const inference: Record<string, number> = {};
for (const kind of ['retrieval', 'classification', 'ranking'] as const) {
  const m = createRewardModel(validateModelConfig({ kind }));
  for (let r = 0; r < 5; r++) m.update(labels);
  m.score(batch);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) { m.score(batch); n += batch.length; }
  inference[kind] = n / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  m.update(labels);
  const updateMs = performance.now() - t1;
  console.log(`reward model [${kind}]: score ${inference[kind]!.toFixed(0)} captions/s (batches of 256); update(${labels.length} labels) ${updateMs.toFixed(1)} ms`);
  m.dispose();
}

console.log(JSON.stringify({
  actorThroughput: { workerWithPolicy: withPolicy, workerWithPolicyLlm: withPolicyLlm, workerEnvOnly: envOnly, workerEnvOnlyStress: envOnlyStress, sameThread, sameThreadStress, target: 0.95 },
  labelsPerSec: { rubric50msBatch100: rubricRate, rubricCeiling: 4000, llmStandIn25ms_c8: llmRate, llmCeiling: 320 },
  inferenceCaptionsPerSec: inference,
}));
