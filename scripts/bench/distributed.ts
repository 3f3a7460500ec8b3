/**
 * `npm run bench -- distributed [--seconds S] [--runner-seconds S]`: the Redis transport against the in-process one, on this
 * machine (loopback, 2 cores shared by everything):
 *   1. trajectories/s through the queue, one producer and one consumer, 10 KB and 100 KB messages;
 *   2. weight-broadcast latency (publish → every subscriber holds the bytes), 256 KB and 4 MiB, 1 and 4
 *      subscribers (Redis subscribers are separate connections in this one process);
 *   3. end-to-end env steps/s of a game rollout (KeyDoor-v0) with actors in-process, then 1 and 2 actor
 *      processes through Redis, one consumer acknowledging and publishing weights every 8 messages.
 *      This part uses a stand-in actor (a softmax-over-biases policy, no TensorFlow.js): it measures the env
 *      plus the transport, not a policy;
 *   4. the runner's real game experiment (keydoor-ext) for --runner-seconds (default 25; 0 skips): one
 *      process with one actor thread, then scripts/learner.ts with 1 and 2 scripts/actor.ts processes.
 * Starts its own redis-server on a free loopback port (or uses --redis URL). Prints human lines, then one
 * JSON object as the last line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { makeEnvSync, Rng } from '../../envs/index.ts';
import { RedisTransport } from '../../runner/index.ts';
import { InProcessTransport, type Transport, type TrajectorySink, type WeightSubscriber } from '../../runner/index.ts';

const packr = new Packr({ moreTypes: true });
const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** One actor's rollout loop: 8 KeyDoor episodes (≤ 64 moves, observations kept) per message. */
async function actorLoop(sink: TrajectorySink, weights: WeightSubscriber, actorId: string, stop: () => Promise<boolean>): Promise<void> {
  const game = makeEnvSync('KeyDoor-v0', { size: 5 });
  const rng = new Rng(actorId);
  let biases = new Float32Array(4);
  let version = -1;
  for (let seq = 0; !(await stop()); seq++) {
    if (weights.latestVersion() > version) {
      const w = await weights.fetch(version);
      if (w) {
        version = w.version;
        biases = new Float32Array(w.bytes.slice(0, 16).buffer);
      }
    }
    const episodes = [];
    let steps = 0;
    for (let e = 0; e < 8; e++) {
      const first = game.reset({ seed: rng.int(1 << 30) });
      const obs: Float32Array[] = [first.obs as Float32Array];
      const actions: number[] = [];
      for (let t = 0; t < 64; t++) {
        const p = Array.from(biases, Math.exp);
        let u = rng.float() * p.reduce((a, b) => a + b, 0);
        let a = 0;
        while (a < 3 && (u -= p[a]) > 0) a++;
        const s = game.step(a);
        actions.push(a);
        obs.push(s.obs as Float32Array);
        if (s.terminated || s.truncated) break;
      }
      steps += actions.length;
      episodes.push({ actions, obs });
    }
    await sink.send({ id: `${actorId}:${seq}`, actorId, policyVersion: version, steps, payload: packr.pack({ episodes }) });
    // In-process, send and receive can resolve each other in microtasks forever; let timers run.
    await new Promise((r) => setImmediate(r));
  }
}

if (argv[0] === '--actor') {
  // Child mode: one actor process through Redis until the stop key appears.
  const [, url, ns, id] = argv;
  const t = await RedisTransport.connect({ url, namespace: ns, maxQueued: 16 }, { name: `bench-${id}` });
  let checked = 0;
  let stopped = false;
  await actorLoop(t.trajectorySink(id), t.weightSubscriber(), id, async () => {
    if (!stopped && Date.now() - checked > 100) {
      checked = Date.now();
      stopped = (await t.cmd.exists(`${ns}:bench:stop`)) === 1;
    }
    return stopped;
  });
  await t.close();
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('error', (e) => { console.error(`cannot start redis-server (${e.message}); install it (apt-get install redis-server) or pass --redis URL`); process.exit(1); });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; if (out.includes('Ready to accept')) resolve(); });
    child.once('exit', (c) => reject(new Error(`redis-server exited (${c}): ${out}`)));
  });
  child.stdout!.resume();
  process.on('exit', () => child.kill('SIGKILL'));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = Number(arg('--seconds') ?? 5);
const runnerSeconds = Number(arg('--runner-seconds') ?? 25);
const external = arg('--redis');
const redis = external ? { url: external, stop: () => undefined } : await startRedis();
let nsCount = 0;
const quiet = { log: (l: string) => console.error(`  [redis] ${l}`) };
const redisTransport = (extra: Record<string, unknown> = {}) => RedisTransport.connect({ url: redis.url, namespace: `bench${process.pid}-${nsCount++}`, ...extra }, quiet);

// 1. Queue throughput.
async function queueRate(make: () => Promise<Transport>, makeConsumer: (t: Transport) => Promise<Transport>, bytes: number, n: number): Promise<number> {
  const t = await make();
  const consumerSide = await makeConsumer(t);
  const sink = t.trajectorySink('p');
  const src = consumerSide.trajectorySource('c');
  const payload = new Uint8Array(bytes).fill(7);
  const t0 = performance.now();
  const producing = (async () => {
    for (let i = 0; i < n; i++) await sink.send({ id: `p:${i}`, actorId: 'p', policyVersion: 0, steps: 1, payload });
  })();
  let got = 0;
  while (got < n) {
    const msgs = await src.receive(32, 1000);
    got += msgs.length;
    await src.ack(msgs.map((m) => m.id));
  }
  await producing;
  const rate = n / ((performance.now() - t0) / 1000);
  if (consumerSide !== t) await consumerSide.close();
  await t.close();
  return rate;
}

const queue: Record<string, number> = {};
for (const [label, bytes, n] of [['10KB', 10_000, 3000], ['100KB', 100_000, 600]] as const) {
  const inproc = await queueRate(async () => new InProcessTransport({ queueCapacity: 64 }), async (t) => t, bytes, n);
  let ns = '';
  const viaRedis = await queueRate(async () => {
    const t = await redisTransport({ maxQueued: 64 });
    ns = t.config.namespace;
    return t;
  }, async () => RedisTransport.connect({ url: redis.url, namespace: ns }, quiet), bytes, n);
  queue[`inprocess_${label}_msgs_per_s`] = Math.round(inproc);
  queue[`redis_${label}_msgs_per_s`] = Math.round(viaRedis);
  console.log(`trajectories ${label}: in-process ${inproc.toFixed(0)} msg/s, Redis ${viaRedis.toFixed(0)} msg/s (${(viaRedis / 1e6 * bytes).toFixed(1)} MB/s; in-process/Redis = ${(inproc / viaRedis).toFixed(1)}×)`);
}

// 2. Weight broadcast latency.
async function broadcastMs(bytes: number, subscribers: number, rounds: number): Promise<number> {
  const learner = await redisTransport();
  const ns = learner.config.namespace;
  const subs = await Promise.all(Array.from({ length: subscribers }, () => RedisTransport.connect({ url: redis.url, namespace: ns }, quiet)));
  const ws = subs.map((s) => s.weightSubscriber());
  await Promise.all(ws.map((w) => w.ready()));
  const pub = learner.weightPublisher();
  const blob = new Uint8Array(bytes).fill(1);
  const lat: number[] = [];
  for (let v = 0; v < rounds; v++) {
    const t0 = performance.now();
    const all = Promise.all(ws.map((w) => new Promise<void>((resolve) => {
      const off = w.onVersion(async (version) => {
        if (version !== v) return;
        off();
        const got = await w.fetch(v - 1);
        if (got?.bytes.byteLength !== bytes) throw new Error('short weight read');
        resolve();
      });
    })));
    await pub.publish(v, blob);
    await all;
    lat.push(performance.now() - t0);
  }
  for (const s of subs) await s.close();
  await learner.close();
  return median(lat.slice(2));
}

function inprocessBroadcastMs(bytes: number, rounds: number): number {
  const t = new InProcessTransport({ queueCapacity: 1, weightCapacity: bytes });
  const pub = t.weights;
  const blob = new Uint8Array(bytes).fill(1);
  const lat: number[] = [];
  for (let v = 0; v < rounds; v++) {
    const t0 = performance.now();
    pub.publish(v, blob);
    const got = pub.readLatest(v - 1);
    if (got?.bytes.byteLength !== bytes) throw new Error('short in-process weight read');
    lat.push(performance.now() - t0);
  }
  return median(lat.slice(2));
}

const weights: Record<string, number> = {};
for (const [label, bytes] of [['256KB', 256 * 1024], ['4MiB', 4 * 1024 * 1024]] as const) {
  const inproc = inprocessBroadcastMs(bytes, 20);
  const r1 = await broadcastMs(bytes, 1, 15);
  const r4 = await broadcastMs(bytes, 4, 15);
  weights[`inprocess_${label}_ms`] = Number(inproc.toFixed(3));
  weights[`redis_${label}_1sub_ms`] = Number(r1.toFixed(2));
  weights[`redis_${label}_4sub_ms`] = Number(r4.toFixed(2));
  console.log(`weights ${label}: in-process publish+read ${inproc.toFixed(2)} ms; Redis store+announce+fetch median ${r1.toFixed(1)} ms (1 subscriber), ${r4.toFixed(1)} ms (all of 4)`);
}

// 3. End to end: env steps/s reaching the consumer.
async function consume(t: Transport, pubVersion: { v: number }, stop: () => boolean, onMessage = () => {}): Promise<{ steps: number; lags: number[] }> {
  const src = t.trajectorySource('learner');
  const pub = t.weightPublisher();
  let steps = 0;
  let msgs = 0;
  const lags: number[] = [];
  while (!stop()) {
    const got = await src.receive(16, 100);
    for (const m of got) {
      onMessage();
      steps += m.steps;
      lags.push(pubVersion.v - m.policyVersion);
    }
    msgs += got.length;
    await src.ack(got.map((m) => m.id));
    if (got.length > 0 && msgs >= 8 * (pubVersion.v + 1)) await pub.publish(++pubVersion.v, new Uint8Array(Float32Array.from([0.1, 0.2, 0.3, 0.4 + pubVersion.v % 3]).buffer));
  }
  return { steps, lags };
}

async function measure(t: Transport, run: () => Promise<void>, until: () => Promise<void>): Promise<{ stepsPerS: number; lag: number }> {
  const version = { v: 0 };
  await t.weightPublisher().publish(0, new Uint8Array(new Float32Array(4).buffer));
  let phase: 'warm' | 'measure' | 'done' = 'warm';
  let firstAt = 0;
  const warm = consume(t, version, () => phase !== 'warm', () => (firstAt ||= performance.now()));
  const actors = run();
  // Warm-up: one second from the first message (process start and JIT are not measured).
  while (firstAt === 0 || performance.now() - firstAt < 1000) await new Promise((r) => setTimeout(r, 20));
  phase = 'measure';
  await warm;
  const t0 = performance.now();
  const measured = consume(t, version, () => phase === 'done');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  phase = 'done';
  const { steps, lags } = await measured;
  const dt = (performance.now() - t0) / 1000;
  await until();
  // Drain so stopping actors blocked on a full queue can see the stop flag.
  const src = t.trajectorySource('learner');
  const draining = (async () => {
    for (let k = 0; k < 50; k++) {
      const m = await src.receive(64, 20);
      await src.ack(m.map((x) => x.id));
    }
  })();
  await actors;
  await draining;
  return { stepsPerS: steps / dt, lag: lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : 0 };
}

const e2e: Record<string, number> = {};
{
  const t = new InProcessTransport({ queueCapacity: 16, weightCapacity: 64 });
  let stop = false;
  const r = await measure(t, () => actorLoop(t.trajectorySink('a0'), t.weightSubscriber(), 'a0', async () => stop), async () => {
    stop = true;
  });
  e2e.inprocess_1actor_steps_per_s = Math.round(r.stepsPerS);
  console.log(`end to end, 1 actor in the same process (in-process queue): ${r.stepsPerS.toFixed(0)} env steps/s, mean policy lag ${r.lag.toFixed(2)}`);
  await t.close();
}
for (const n of [1, 2]) {
  const t = await redisTransport({ maxQueued: 16 });
  const ns = t.config.namespace;
  const kids: ChildProcess[] = [];
  const r = await measure(t, async () => {
    for (let i = 0; i < n; i++) {
      kids.push(spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--actor', redis.url, ns, `a${i}`], { stdio: ['ignore', 'inherit', 'inherit'] }));
    }
    await Promise.all(kids.map((k) => new Promise((res) => k.once('exit', res))));
  }, async () => {
    await t.cmd.set(`${ns}:bench:stop`, '1');
  });
  e2e[`redis_${n}proc_steps_per_s`] = Math.round(r.stepsPerS);
  console.log(`end to end, ${n} actor process${n > 1 ? 'es' : ''} through Redis: ${r.stepsPerS.toFixed(0)} env steps/s, mean policy lag ${r.lag.toFixed(2)}`);
  await t.close();
}
console.log(`ratios: Redis 2 procs / 1 proc = ${(e2e.redis_2proc_steps_per_s / e2e.redis_1proc_steps_per_s).toFixed(2)}, Redis 1 proc / in-process = ${(e2e.redis_1proc_steps_per_s / e2e.inprocess_1actor_steps_per_s).toFixed(2)} (2 cores: the consumer, the actors and redis-server share them)`);

// 4. The runner's real game experiment (keydoor-ext: game MLP policy, GRPO learner), in one process vs its
// roles as processes over Redis. Rate = env steps between the first and last metrics record / time between
// them (start-up of threads and processes excluded).
async function runnerRate(mode: 'inprocess' | 'redis', actors: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-bench-dist-'));
  const scripts = new URL('../', import.meta.url).pathname;
  const common = ['--experiment', 'keydoor-ext', '--no-server', '--quiet', '--logging.dir', dir, '--logging.checkpointEvery', '0',
    '--logging.episodeEvery', '0', '--budget.updates', '0', '--budget.seconds', String(runnerSeconds)];
  const run = (script: string, args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(scripts, script), ...common, ...args], {
      env: { ...process.env, THRIVE_REDIS_URL: redis.url }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    return new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}: ${err.slice(-800)}`)))));
  };
  try {
    if (mode === 'inprocess') await run('start.ts', ['--actors.pipeline', 'free', '--actors.workers', String(actors)]);
    else {
      const ns = `bench-runner-${process.pid}-${actors}`;
      await Promise.all([
        run('learner.ts', ['--namespace', ns, '--purge']),
        ...Array.from({ length: actors }, (_, i) => run('actor.ts', ['--namespace', ns, '--id', `a${i}`, '--actors.workers', '1'])),
      ]);
    }
    const runDir = readdirSync(dir).map((d) => join(dir, d)).find((d) => existsSync(join(d, 'metrics.jsonl')));
    if (!runDir) throw new Error(`no run directory with metrics under ${dir}`);
    const m = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: number; envSteps: number });
    if (m.length < 3) throw new Error(`only ${m.length} updates in ${runnerSeconds} s: raise --runner-seconds`);
    const [a, b] = [m[0], m[m.length - 1]];
    return (b.envSteps - a.envSteps) / (b.time - a.time);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runner: Record<string, number> = {};
if (runnerSeconds > 0) {
  for (const [mode, n] of [['inprocess', 1], ['redis', 1], ['redis', 2]] as const) {
    const rate = await runnerRate(mode, n);
    runner[`${mode}_${n}${mode === 'redis' ? 'proc' : 'worker'}_steps_per_s`] = Math.round(rate);
    console.log(`runner keydoor-ext, ${mode === 'redis' ? `learner + ${n} actor process${n > 1 ? 'es' : ''} over Redis` : `one process, ${n} actor worker thread`}: ${rate.toFixed(0)} env steps/s`);
  }
  console.log(`ratios: Redis 1 proc / in-process = ${(runner.redis_1proc_steps_per_s / runner.inprocess_1worker_steps_per_s).toFixed(2)}, Redis 2 procs / 1 proc = ${(runner.redis_2proc_steps_per_s / runner.redis_1proc_steps_per_s).toFixed(2)}`);
}

redis.stop();
console.log(JSON.stringify({ bench: 'distributed', seconds, queue, weights, e2e, runner }));
process.exit(0);
