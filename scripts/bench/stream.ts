/**
 * `npm run bench -- stream [--seconds S] [--clients N] [--rate R]`
 *
 * 1. Throughput: the hub publishes metrics records (and, every 50th message, an episode with 30 40×40
 *    frames) as fast as the main thread can, to N clients (in a
 *    worker thread, decoding msgpack like the page does) plus one stuck client (socket paused). Reports
 *    messages/s delivered, drops, and peak queued bytes / heap — memory must stay bounded.
 * 2. Sustained: the same at a fixed rate R msgs/s; the N live clients should drop nothing.
 * 3. Learner: a stand-in learner (a small tfjs MLP, Adam, wasm backend — not the GRPO learner) on the
 *    same thread as the hub, publishing a metrics record per update and an episode with 30 frames
 *    every 5 updates; updates/s with N clients connected against none (alternated three times, to share
 *    the noise of a busy 2-core machine), and the time spent inside hub.publish per update. The clients
 *    run in a worker on the same machine, so they also compete for the CPU; the real learner runs in its
 *    own thread (design.md), so this is the worst case.
 * Last line: one JSON object with the figures.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { MetricsHub, connectStream, startStreamServer } from '../../runner/stream/index.ts';
import { FRAMES, metricsRecord, standInLearner } from './stand-in-learner.ts';

interface ClientCounts { received: number[]; dropped: number[] }

// ---------------------------------------------------------------------------------------------------
// Worker side: N clients + one stuck client, counting what arrives.
async function clientsWorker(): Promise<void> {
  const { url, n, stuck } = workerData as { url: string; n: number; stuck: boolean };
  const received = new Array<number>(n).fill(0);
  const dropped = new Array<number>(n).fill(0);
  const conns = await Promise.all(Array.from({ length: n }, () => connectStream(url, { format: 'msgpack', topics: ['metrics', 'episode'] })));
  conns.forEach((c, i) =>
    c.onMessage((m) => {
      if (m.type === 'data') received[i]!++;
      else if (m.type === 'dropped') dropped[i]! += m.count;
    }),
  );
  let stuckConn: Awaited<ReturnType<typeof connectStream>> | undefined;
  if (stuck) {
    // Never reads after the welcome: the server must drop for it, not buffer without bound.
    stuckConn = await connectStream(url, { format: 'msgpack', topics: ['metrics', 'episode'] });
    (stuckConn.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
  }
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', (msg: { type: string }) => {
    if (msg.type === 'counts') parentPort!.postMessage({ type: 'counts', received: [...received], dropped: [...dropped] } satisfies ClientCounts & { type: string });
    if (msg.type === 'close') {
      for (const c of conns) c.close();
      stuckConn?.ws.terminate();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Main side

function startClients(url: string, n: number, stuck: boolean): Promise<{ counts(): Promise<ClientCounts>; close(): Promise<void> }> {
  // Node will not start a worker from a .ts file: start a tiny JS entry that registers tsx, then imports us.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const w = new Worker(entry, { eval: true, workerData: { url, n, stuck } });
  return new Promise((ok, fail) => {
    w.once('error', fail);
    w.once('message', () =>
      ok({
        counts: () =>
          new Promise((r) => {
            w.once('message', (m: ClientCounts) => r(m));
            w.postMessage({ type: 'counts' });
          }),
        close: () =>
          new Promise((r) => {
            w.once('exit', () => r());
            w.postMessage({ type: 'close' });
          }),
      }),
    );
  });
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function parseArgs(argv: string[]): { seconds: number; clients: number; rate: number } {
  const o = { seconds: 4, clients: 10, rate: 1000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    const v = Number(argv[i + 1]);
    if (!(k in o)) throw new Error(`unknown flag ${argv[i]}; valid: --seconds, --clients, --rate`);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} needs a positive number, got ${argv[i + 1]}`);
    (o as Record<string, number>)[k] = v;
  }
  return o;
}

/** Publishes for `seconds`, either flat out (rate 0) or paced at `rate` msgs/s; samples memory. */
async function publishPhase(hub: MetricsHub, server: Awaited<ReturnType<typeof startStreamServer>>, seconds: number, rate: number) {
  const t0 = Date.now();
  const heap0 = process.memoryUsage().heapUsed;
  let published = 0;
  let peakQueuedBytes = 0;
  let peakHeap = heap0;
  let lastSample = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const due = rate > 0 ? Math.floor(((Date.now() - t0) / 1000) * rate) - published : 200;
    for (let i = 0; i < due; i++) {
      if (++published % 50 === 0) hub.publish('episode', { step: published, envId: 'bench', family: 'games', seed: 0, reward: 0, success: false, steps: [], frames: FRAMES });
      else hub.publish('metrics', metricsRecord(published, t0));
    }
    if (Date.now() - lastSample > 50) {
      lastSample = Date.now();
      peakQueuedBytes = Math.max(peakQueuedBytes, server.stats().queuedBytes);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    if (rate > 0) await sleep(2);
    else await tick();
  }
  return { published, seconds: (Date.now() - t0) / 1000, peakQueuedBytes, heapGrowthMB: (peakHeap - heap0) / 2 ** 20 };
}

async function drain(server: Awaited<ReturnType<typeof startStreamServer>>): Promise<void> {
  for (let i = 0; i < 100 && server.stats().queued > 0; i++) await sleep(30);
  await sleep(200);
}

async function throughput(n: number, seconds: number, rate: number) {
  const hub = new MetricsHub({ history: { metrics: 0, episode: 0 } });
  const server = await startStreamServer({ hub });
  const clients = await startClients(server.wsUrl, n, true);
  const before = await clients.counts();
  const t0 = Date.now();
  const p = await publishPhase(hub, server, seconds, rate);
  const published = hub.stats().published.metrics + hub.stats().published.episode;
  // Wait until every live client has received or been told it lost each message (≤ 10 s).
  let c = await clients.counts();
  const accounted = (x: ClientCounts) => x.received.every((r, i) => r - before.received[i]! + x.dropped[i]! - before.dropped[i]! >= published);
  while (!accounted(c) && Date.now() - t0 < (seconds + 10) * 1000) {
    await sleep(50);
    c = await clients.counts();
  }
  const elapsed = (Date.now() - t0) / 1000;
  // The stuck client never reads, so it never sees its 'dropped' notices: count on the server side.
  const serverStats = server.stats();
  await clients.close();
  await server.close();
  const got = c.received.map((r, i) => r - before.received[i]!);
  const lost = c.dropped.map((d, i) => d - before.dropped[i]!);
  return {
    publishedPerSec: published / p.seconds,
    /** Over the whole window until the last client caught up. */
    deliveredPerSecPerClient: got.reduce((a, b) => a + b, 0) / n / elapsed,
    catchUpSeconds: elapsed - p.seconds,
    minDeliveredFraction: Math.min(...got.map((g) => g / published)),
    droppedPerClient: lost.reduce((a, b) => a + b, 0) / n,
    accountedFor: accounted(c),
    stuckDropped: serverStats.dropped - lost.reduce((a, b) => a + b, 0),
    peakQueuedMB: p.peakQueuedBytes / 2 ** 20,
    heapGrowthMB: p.heapGrowthMB,
  };
}

async function learnerPhase(hub: MetricsHub, step: () => number, seconds: number, frames: { rgb: Uint8Array; height: number; width: number }[]) {
  const t0 = Date.now();
  let updates = 0;
  let publishMs = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const loss = step();
    updates++;
    const p0 = performance.now();
    hub.publish('metrics', { ...metricsRecord(updates, t0), loss });
    if (updates % 5 === 0) {
      hub.publish('episode', { step: updates, envId: 'bench', family: 'games', seed: updates, reward: loss, success: false, steps: frames.map((_, i) => ({ action: i % 4, message: '', reward: 0 })), frames });
    }
    publishMs += performance.now() - p0;
    await tick(); // the run's main loop yields between updates (it awaits rollouts)
  }
  return { rate: updates / ((Date.now() - t0) / 1000), publishMsPerUpdate: publishMs / updates };
}

async function learner(n: number, seconds: number) {
  // Loaded here, not at the top, so the client worker does not pay for TensorFlow.js.
  const { step, backend } = await standInLearner();
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub });
  const rates: Record<'none' | 'clients', number[]> = { none: [], clients: [] };
  const publishMs: Record<'none' | 'clients', number[]> = { none: [], clients: [] };
  for (const round of ['none', 'clients', 'none', 'clients', 'none', 'clients'] as const) {
    const clients = round === 'clients' ? await startClients(server.wsUrl, n, false) : undefined;
    const { rate: r, publishMsPerUpdate } = await learnerPhase(hub, step, seconds / 2, FRAMES);
    rates[round].push(r);
    publishMs[round].push(publishMsPerUpdate);
    if (clients) {
      await drain(server);
      await clients.close();
    }
    console.log(`  learner ${round === 'none' ? 'no clients' : `${n} clients`}: ${r.toFixed(1)} updates/s, ${publishMsPerUpdate.toFixed(3)} ms in publish per update`);
  }
  await server.close();
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    updatesPerSecNoClients: mean(rates.none),
    updatesPerSecWithClients: mean(rates.clients),
    publishMsNoClients: mean(publishMs.none),
    publishMsWithClients: mean(publishMs.clients),
    backend,
  };
}

async function main(): Promise<void> {
  const { seconds, clients: n, rate } = parseArgs(process.argv.slice(2));
  console.log(`stream benchmark: ${n} clients (+1 stuck), ${seconds} s per phase`);
  const flat = await throughput(n, seconds, 0);
  console.log(`  flat out: published ${flat.publishedPerSec.toFixed(0)} msgs/s, delivered ${flat.deliveredPerSecPerClient.toFixed(0)} msgs/s per client (${(flat.deliveredPerSecPerClient * n).toFixed(0)} total), ` +
    `dropped ${flat.droppedPerClient.toFixed(0)} per client, stuck client dropped ${flat.stuckDropped}`);
  console.log(`  memory: peak queued ${flat.peakQueuedMB.toFixed(1)} MB (bound ${n + 1} clients × 8 MB), heap growth ${flat.heapGrowthMB.toFixed(1)} MB; clients caught up ${flat.catchUpSeconds.toFixed(1)} s after publishing stopped`);
  const paced = await throughput(n, seconds, rate);
  console.log(`  paced ${rate} msgs/s: delivered ${paced.deliveredPerSecPerClient.toFixed(0)} msgs/s per client, min fraction delivered ${paced.minDeliveredFraction.toFixed(4)}, dropped ${paced.droppedPerClient.toFixed(1)} per client`);
  const l = await learner(n, seconds);
  const ratio = l.updatesPerSecWithClients / l.updatesPerSecNoClients;
  console.log(`  learner (${l.backend}, stand-in MLP): ${l.updatesPerSecNoClients.toFixed(1)} updates/s alone, ${l.updatesPerSecWithClients.toFixed(1)} with ${n} clients (ratio ${ratio.toFixed(3)})`);
  console.log(JSON.stringify({
    clients: n,
    seconds,
    flatPublishedPerSec: Math.round(flat.publishedPerSec),
    flatDeliveredPerSecPerClient: Math.round(flat.deliveredPerSecPerClient),
    flatDeliveredPerSecTotal: Math.round(flat.deliveredPerSecPerClient * n),
    flatDroppedPerClient: Math.round(flat.droppedPerClient),
    flatAccountedFor: flat.accountedFor,
    stuckClientDropped: flat.stuckDropped,
    peakQueuedMB: +flat.peakQueuedMB.toFixed(2),
    heapGrowthMB: +flat.heapGrowthMB.toFixed(2),
    pacedRate: rate,
    pacedDeliveredPerSecPerClient: Math.round(paced.deliveredPerSecPerClient),
    pacedMinDeliveredFraction: +paced.minDeliveredFraction.toFixed(4),
    pacedStuckDropped: paced.stuckDropped,
    learnerBackend: l.backend,
    learnerUpdatesPerSecNoClients: +l.updatesPerSecNoClients.toFixed(2),
    learnerUpdatesPerSecWithClients: +l.updatesPerSecWithClients.toFixed(2),
    learnerRatioWithClients: +ratio.toFixed(3),
    publishMsPerUpdateNoClients: +l.publishMsNoClients.toFixed(4),
    publishMsPerUpdateWithClients: +l.publishMsWithClients.toFixed(4),
  }));
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  void clientsWorker();
}
