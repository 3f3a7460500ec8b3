/**
 * `npm run bench -- stream-abuse [--seconds S] [--rounds R] [--churn-rate N] [--resubscribers K] [--modes churn,resubscribe,idle]`
 *
 * What misbehaving stream clients cost a run. As in a run: a learner thread (here a stand-in, a tfjs MLP
 * on wasm, stand-in-learner.ts) reports each update to the main thread, which publishes one metrics
 * record per update and an episode with 30 40×40 frames every 5 updates on the hub; the server runs on
 * the main thread too. The hub's history is full (5000 metrics records,
 * 16 episodes = 2.3 MB of frames, 500 events) — what a late client is sent. In a worker thread, one of:
 *   none         nothing connected (the reference);
 *   churn        connections opened with topics=* and closed as soon as they open, N per second
 *                (default 50: the 2,900 per minute of the report);
 *   resubscribe  K clients (default 8) that never read and send subscribe "*" / unsubscribe "*"
 *                alternately, just under the rate limit (19/s each);
 *   idle         maxClients (32) clients connected, subscribed to nothing, silent; a fresh "page"
 *                client then connects (after idleMs) and must get in.
 * Rounds interleave the modes (none, churn, resubscribe, idle, none, …) so each shares the machine's
 * noise; reported: updates/s per mode and its ratio to none, peak RSS and heap growth, peak bytes queued,
 * replay cursors, and for idle whether the page connected. Last line: one JSON object.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { MetricsHub, startStreamServer, connectStream } from '../../runner/stream/index.ts';
import type { StreamServer } from '../../runner/stream/index.ts';
import { FRAMES, metricsRecord, standInLearner } from './stand-in-learner.ts';

type Mode = 'none' | 'churn' | 'resubscribe' | 'idle';
const ALL_MODES: Mode[] = ['none', 'churn', 'resubscribe', 'idle'];
let MODES: Mode[] = ALL_MODES;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

// ---------------------------------------------------------------------------------------------------
// Worker side: the misbehaving clients.

async function abuser(): Promise<void> {
  const { url, mode, churnRate, resubscribers, idleClients } = workerData as { url: string; mode: Mode; churnRate: number; resubscribers: number; idleClients: number };
  let stop = false;
  let connects = 0;
  const open: WebSocket[] = [];
  parentPort!.on('message', (m: string) => {
    if (m === 'stop') {
      stop = true;
      for (const ws of open) ws.terminate();
      setTimeout(() => parentPort!.postMessage({ connects }), 200);
    }
  });
  if (mode === 'churn') {
    parentPort!.postMessage('ready');
    const t0 = Date.now();
    // Four connections in flight at most, paced to churnRate per second.
    const lane = async (): Promise<void> => {
      while (!stop) {
        const due = Math.floor(((Date.now() - t0) / 1000) * churnRate);
        if (connects >= due) {
          await sleep(2);
          continue;
        }
        connects++;
        await new Promise<void>((done) => {
          const ws = new WebSocket(`${url}?format=msgpack&topics=*`, { perMessageDeflate: false });
          ws.on('open', () => ws.close());
          ws.on('close', () => done());
          ws.on('error', () => done());
        });
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    return;
  } else if (mode === 'resubscribe') {
    for (let i = 0; i < resubscribers; i++) {
      const ws = new WebSocket(`${url}?format=msgpack&topics=*`, { perMessageDeflate: false });
      open.push(ws);
      ws.on('error', () => {});
      ws.on('open', () => {
        connects++;
        // Never read again: the server must not buffer for us without bound.
        (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
        let on = false;
        const timer = setInterval(() => {
          if (stop || ws.readyState !== ws.OPEN) return clearInterval(timer);
          on = !on;
          ws.send(JSON.stringify({ type: on ? 'unsubscribe' : 'subscribe', topics: '*' }));
        }, 1000 / 19);
      });
    }
  } else if (mode === 'idle') {
    for (let i = 0; i < idleClients; i++) {
      const ws = new WebSocket(`${url}?format=msgpack`, { perMessageDeflate: false });
      open.push(ws);
      ws.on('error', () => {});
      ws.on('open', () => connects++);
    }
  }
  parentPort!.postMessage('ready');
}

function startAbuser(url: string, mode: Mode, o: { churnRate: number; resubscribers: number; idleClients: number }): Promise<{ stop(): Promise<{ connects: number }> }> {
  const w = startThread({ role: 'abuser', url, mode, ...o });
  return new Promise((ok, fail) => {
    w.once('error', fail);
    w.once('message', () =>
      ok({
        stop: () =>
          new Promise((r) => {
            w.once('message', (m: { connects: number }) => {
              void w.terminate();
              r(m);
            });
            w.postMessage('stop');
          }),
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------------
// Learner thread: the stand-in learner, posting one metrics record per update (and an episode every 5)
// to the main thread, which publishes them, as the runner's learner thread and experiment loop do.

async function learnerThread(): Promise<void> {
  const { step } = await standInLearner();
  let running = true;
  parentPort!.on('message', (m: string) => {
    if (m === 'stop') running = false;
  });
  parentPort!.postMessage({ type: 'ready' });
  let n = 0;
  const t0 = Date.now();
  while (running) {
    const loss = step();
    n++;
    parentPort!.postMessage({ type: 'update', n, loss, t0 });
    await new Promise<void>((r) => setImmediate(r));
  }
  process.exit(0);
}

function startThread(data: Record<string, unknown>): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Worker(entry, { eval: true, workerData: data });
}

// ---------------------------------------------------------------------------------------------------
// Main side

function parseArgs(argv: string[]) {
  const o = { seconds: 6, rounds: 2, 'churn-rate': 50, resubscribers: 8 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    if (k === 'modes') {
      const ms = (argv[i + 1] ?? '').split(',') as Mode[];
      const bad = ms.find((m) => !ALL_MODES.includes(m));
      if (bad !== undefined) throw new Error(`--modes: unknown mode '${bad}'; valid: ${ALL_MODES.join(', ')}`);
      MODES = ['none', ...ms.filter((m) => m !== 'none')];
      continue;
    }
    const v = Number(argv[i + 1]);
    if (!(k in o)) throw new Error(`unknown flag ${argv[i]}; valid: ${Object.keys(o).map((x) => `--${x}`).join(', ')}`);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} needs a positive number, got ${argv[i + 1]}`);
    (o as Record<string, number>)[k] = v;
  }
  return o;
}

/** Fills the hub's history the way a long run leaves it. */
function fillHistory(hub: MetricsHub): void {
  const t0 = Date.now();
  for (let i = 1; i <= 5000; i++) hub.publish('metrics', metricsRecord(i, t0));
  for (let i = 1; i <= 16; i++) hub.publish('episode', { step: i, envId: 'bench', family: 'games', seed: i, reward: 0, success: false, steps: FRAMES.map((_, k) => ({ action: k % 4, message: 'You move north.', reward: 0 })), frames: FRAMES });
  for (let i = 1; i <= 500; i++) hub.publish('event', { kind: 'checkpoint', message: `checkpoint runs/bench/checkpoints/${i}` });
  hub.publish('config', { name: 'bench', lr: 1e-3 });
}

/**
 * CPU seconds of this process's main thread (Linux: /proc/self/task/PID/stat, utime + stime in clock
 * ticks of 1/100 s), apart from the worker threads'.
 */
function mainThreadCpuSeconds(): number {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One phase: counts the learner thread's updates, publishing each, and samples memory and the main thread's load. */
async function phase(hub: MetricsHub, server: StreamServer, learner: Worker, seconds: number) {
  let updates = 0;
  const onUpdate = (m: { type: string; n: number; loss: number; t0: number }) => {
    if (m.type !== 'update') return;
    updates++;
    hub.publish('metrics', { ...metricsRecord(m.n, m.t0), loss: m.loss });
    if (m.n % 5 === 0) hub.publish('episode', { step: m.n, envId: 'bench', family: 'games', seed: m.n, reward: m.loss, success: false, steps: FRAMES.map((_, k) => ({ action: k % 4, message: '', reward: 0 })), frames: FRAMES });
  };
  learner.on('message', onUpdate);
  const t0 = Date.now();
  const cpu0 = mainThreadCpuSeconds();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let peakRss = rss0;
  let peakHeap = heap0;
  let peakQueued = 0;
  let peakCursors = 0;
  while (Date.now() - t0 < seconds * 1000) {
    await sleep(100);
    const m = process.memoryUsage();
    const s = server.stats();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakQueued = Math.max(peakQueued, s.queuedBytes);
    peakCursors = Math.max(peakCursors, s.replayCursors);
  }
  learner.off('message', onUpdate);
  const wall = Date.now() - t0;
  const MB = 2 ** 20;
  /** The main thread's CPU share: the hub, the server and its clients' I/O (the learner has its own thread). */
  const serverShare = (mainThreadCpuSeconds() - cpu0) / (wall / 1000);
  return { rate: updates / (wall / 1000), updates, serverShare, peakRssMB: peakRss / MB, heapGrowthMB: (peakHeap - heap0) / MB, peakQueuedMB: peakQueued / MB, peakCursors };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const learner = startThread({ role: 'learner' });
  await new Promise<void>((ok, fail) => {
    learner.once('error', fail);
    learner.once('message', () => ok());
  });
  const backend = 'wasm';
  const hub = new MetricsHub();
  fillHistory(hub);
  const maxClients = 32;
  const idleMs = 2000;
  const server = await startStreamServer({ hub, maxClients, idleMs });
  console.log(`stream-abuse: ${args.rounds} rounds × ${MODES.length} modes × ${args.seconds} s, churn ${args['churn-rate']}/s, ${args.resubscribers} resubscribers, backend ${backend}`);
  const per: Record<Mode, { share: number[]; rate: number[]; rss: number[]; heap: number[]; queued: number[]; cursors: number[]; connects: number[] }> = Object.fromEntries(
    MODES.map((m) => [m, { share: [], rate: [], rss: [], heap: [], queued: [], cursors: [], connects: [] }]),
  ) as never;
  let pageGotIn: boolean[] = [];
  for (let r = 0; r < args.rounds; r++) {
    for (const mode of MODES) {
      const ab = mode === 'none' ? undefined : await startAbuser(server.wsUrl, mode, { churnRate: args['churn-rate'], resubscribers: args.resubscribers, idleClients: maxClients });
      const p = await phase(hub, server, learner, args.seconds);
      if (mode === 'idle') {
        // The server is full of silent clients; idleMs later, the dashboard must get in.
        await sleep(idleMs + 100);
        const page = await connectStream(server.wsUrl, { topics: ['metrics'] }).catch(() => undefined);
        pageGotIn.push(page !== undefined);
        page?.close();
      }
      const got = ab ? await ab.stop() : { connects: 0 };
      await sleep(300);
      const x = per[mode];
      x.rate.push(p.rate);
      x.share.push(p.serverShare);
      x.rss.push(p.peakRssMB);
      x.heap.push(p.heapGrowthMB);
      x.queued.push(p.peakQueuedMB);
      x.cursors.push(p.peakCursors);
      x.connects.push(got.connects);
      console.log(`  ${mode.padEnd(11)} ${p.rate.toFixed(1)} updates/s, main thread CPU ${(100 * p.serverShare).toFixed(1)} %, peak RSS ${p.peakRssMB.toFixed(0)} MB, heap +${p.heapGrowthMB.toFixed(1)} MB, peak queued ${p.peakQueuedMB.toFixed(1)} MB, replay cursors ≤ ${p.peakCursors}, connections ${got.connects}`);
    }
  }
  const s = server.stats();
  learner.postMessage('stop');
  await server.close();
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const max = (a: number[]) => Math.max(...a);
  const base = mean(per.none.rate);
  const out: Record<string, unknown> = { backend, seconds: args.seconds, rounds: args.rounds, churnPerSecond: args['churn-rate'], resubscribers: args.resubscribers, updatesPerSecNone: +base.toFixed(2) };
  out.noneServerShare = +mean(per.none.share).toFixed(3);
  for (const m of MODES.filter((x) => x !== 'none')) {
    out[`${m}Ratio`] = +(mean(per[m].rate) / base).toFixed(3);
    out[`${m}ServerShare`] = +mean(per[m].share).toFixed(3);
    out[`${m}PeakRssMB`] = Math.round(max(per[m].rss));
    out[`${m}HeapGrowthMB`] = +max(per[m].heap).toFixed(1);
    out[`${m}PeakQueuedMB`] = +max(per[m].queued).toFixed(2);
    out[`${m}Connections`] = per[m].connects.reduce((a, b) => a + b, 0);
  }
  out.noneRssMB = Math.round(max(per.none.rss));
  if (per.resubscribe) out.resubscribePeakCursors = max(per.resubscribe.cursors);
  if (per.idle) out.idlePageGotIn = pageGotIn.every(Boolean);
  out.replayedMB = +(s.replayedBytes / 2 ** 20).toFixed(1);
  out.connectionsServed = s.connections;
  out.evicted = s.evicted;
  out.dropped = s.dropped;
  console.log(JSON.stringify(out));
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else if ((workerData as { role: string }).role === 'learner') {
  void learnerThread();
} else {
  void abuser();
}
