import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { pack } from 'msgpackr';
import { MetricsHub, startStreamServer, validateHubConfig, connectStream, TOPICS, PROTOCOL_VERSION, CLOSE_CODES } from '../../runner/stream/index.ts';
import type { DataMessage, ServerMessage } from '../../runner/stream/index.ts';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Recording client; `url` may carry format/topics in its query. */
const connect = (url: string, headers: Record<string, string> = {}) => connectStream(url, { headers, record: true });

const isData = (topic?: string) => (m: ServerMessage): m is DataMessage => m.type === 'data' && (topic === undefined || m.topic === topic);

// ---------------------------------------------------------------------------------------------------
// Hub

test('hub keeps a bounded history per topic with increasing seq', () => {
  const hub = new MetricsHub({ history: { metrics: 3 } });
  for (let i = 1; i <= 5; i++) assert.is(hub.publish('metrics', { step: i, loss: 1 / i }), i);
  hub.publish('event', { kind: 'start', message: 'go' });
  assert.equal(hub.history('metrics').map((m) => m.seq), [3, 4, 5]);
  assert.equal(hub.history('metrics').map((m) => (m.data as { step: number }).step), [3, 4, 5]);
  assert.is(hub.history('event').length, 1);
  assert.is(hub.latest('metrics')?.seq, 5);
  assert.equal(hub.stats().published, { metrics: 5, episode: 0, annotator: 0, event: 1, config: 0 });
});

test('hub contains a throwing listener and still delivers to others', () => {
  const hub = new MetricsHub();
  const got: number[] = [];
  hub.subscribe('*', () => {
    throw new Error('plugin bug');
  });
  const off = hub.subscribe(['metrics'], (m) => got.push(m.seq));
  hub.publish('metrics', { step: 1 });
  hub.publish('event', { kind: 'x', message: '' });
  off();
  hub.publish('metrics', { step: 2 });
  assert.equal(got, [1]);
  assert.is(hub.stats().listenerFaults, 3);
  assert.is(hub.stats().lastFault, 'plugin bug');
});

test('hub rejects bad topics, data and config with errors naming them', () => {
  const hub = new MetricsHub();
  assert.throws(() => hub.publish('metric' as never, { step: 1 }), /unknown topic "metric".*valid: metrics/);
  assert.throws(() => hub.publish('metrics', { loss: 1 }), /needs a numeric "step"/);
  assert.throws(() => hub.publish('event', [] as never), /plain object/);
  assert.throws(() => validateHubConfig({ history: { metrics: -1 } }), /'hub\.history\.metrics' must be an integer >= 0 and <= 1000000, got -1/);
  assert.throws(() => validateHubConfig({ histroy: {} } as never), /unknown config key 'hub\.histroy' \(did you mean 'hub\.history'\?\)/);
  assert.throws(() => validateHubConfig({ history: { bogus: 1 } as never }), /unknown config key 'hub\.history\.bogus'. Valid keys of 'hub\.history': metrics, episode/);
  assert.is(validateHubConfig({}).history.config, 1);
});

// ---------------------------------------------------------------------------------------------------
// Server: formats, history, subscriptions

for (const format of ['json', 'msgpack'] as const) {
  test(`${format}: welcome, history replay then live data, bytes round-trip`, async () => {
    const hub = new MetricsHub();
    hub.publish('config', { lr: 0.001, nested: { groups: 4 } });
    for (let i = 0; i < 3; i++) hub.publish('metrics', { step: i, time: i, envSteps: i * 10, loss: Number.NaN });
    const server = await startStreamServer({ hub, runName: 'unit' });
    try {
      const c = await connect(`${server.wsUrl}?format=${format}&topics=metrics,config,episode`);
      const welcome = await c.waitFor((m) => m.type === 'welcome');
      assert.equal(welcome.type === 'welcome' && welcome.subscribed, ['metrics', 'config', 'episode']);
      assert.is(welcome.type === 'welcome' && welcome.runName, 'unit');
      await c.waitFor((m) => isData('metrics')(m) && m.seq === 3);
      const data = c.messages.filter(isData());
      assert.is(data[0]!.topic, 'config', 'config replays first');
      assert.equal(data[0]!.data, { lr: 0.001, nested: { groups: 4 } });
      assert.is((data[1]!.data as { loss: unknown }).loss, null, 'NaN travels as null');
      const rgb = new Uint8Array([0, 127, 255, 1, 2, 3]);
      hub.publish('episode', { step: 3, envId: 'grid', reward: 1, frames: [{ rgb, height: 1, width: 2 }], probs: new Float32Array([0.5, 0.25]) });
      hub.publish('event', { kind: 'not-subscribed', message: '' });
      const ep = (await c.waitFor(isData('episode'))) as DataMessage;
      const f = (ep.data as { frames: { rgb: Uint8Array }[] }).frames[0]!;
      assert.ok(f.rgb instanceof Uint8Array);
      assert.equal(Array.from(f.rgb), Array.from(rgb));
      assert.equal((ep.data as { probs: number[] }).probs, [0.5, 0.25]);
      c.ws.send(format === 'json' ? JSON.stringify({ type: 'ping', id: 7 }) : pack({ type: 'ping', id: 7 }));
      await c.waitFor((m) => m.type === 'pong' && m.id === 7);
      assert.not.ok(c.messages.some((m) => isData('event')(m)), 'unsubscribed topic not delivered');
      c.ws.close();
    } finally {
      await server.close();
    }
  });
}

test('subscribe/unsubscribe messages change what a client receives', async () => {
  const hub = new MetricsHub();
  hub.publish('event', { kind: 'start', message: 'old' });
  const server = await startStreamServer({ hub });
  try {
    const c = await connect(`${server.wsUrl}?format=json`);
    c.ws.send(JSON.stringify({ type: 'subscribe', topics: ['event'], history: false }));
    await c.waitFor((m) => m.type === 'subscribed');
    hub.publish('event', { kind: 'checkpoint', message: 'new' });
    const e = (await c.waitFor(isData('event'))) as DataMessage;
    assert.is((e.data as { message: string }).message, 'new', 'history: false skips the replay');
    c.ws.send(JSON.stringify({ type: 'unsubscribe', topics: ['event'] }));
    await c.waitFor((m) => m.type === 'subscribed' && m.topics.length === 0);
    hub.publish('event', { kind: 'end', message: 'after' });
    c.ws.send(JSON.stringify({ type: 'ping', id: 'sync' }));
    await c.waitFor((m) => m.type === 'pong');
    assert.is(c.messages.filter(isData('event')).length, 1);
    c.ws.close();
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------------
// Robustness

test('junk, unknown and oversized client messages are rejected; the run and other clients go on', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, maxMessageBytes: 1024, maxBadMessages: 4 });
  try {
    const good = await connect(`${server.wsUrl}?format=json&topics=metrics`);
    const junk = await connect(`${server.wsUrl}?format=json`);
    junk.ws.send('{not json');
    junk.ws.send(JSON.stringify({ type: 'subscribe', topics: ['nope'] }));
    junk.ws.send(JSON.stringify({ type: 'rm -rf' }));
    junk.ws.send(Buffer.from([0xc1, 0xff]), { binary: true });
    await junk.waitFor((m) => m.type === 'error' && m.code === 'bad-encoding' && /msgpack/.test(m.message));
    const errors = junk.messages.filter((m) => m.type === 'error');
    assert.is(errors.length, 4);
    assert.match(JSON.stringify(errors), /unknown topic \\"nope\\"/);
    junk.ws.send(JSON.stringify({ type: 'ping', extra: 1 }));
    assert.is((await junk.closed).code, 1008, 'closed after too many bad messages');

    const big = await connect(`${server.wsUrl}?format=json`);
    big.ws.send('x'.repeat(5000));
    assert.is((await big.closed).code, 1009, 'oversized frame closes that client');

    hub.publish('metrics', { step: 1 });
    await good.waitFor(isData('metrics'));
    assert.ok(server.stats().rejected >= 6, `rejected counted: ${server.stats().rejected}`);
    good.ws.close();
  } finally {
    await server.close();
  }
});

test('a flooding client is rate limited', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, clientMessagesPerSecond: 5, maxBadMessages: 1000 });
  try {
    const c = await connect(`${server.wsUrl}?format=json`);
    for (let i = 0; i < 40; i++) c.ws.send(JSON.stringify({ type: 'ping', id: i }));
    await c.waitFor((m) => m.type === 'error' && m.code === 'rate-limited');
    await tick(50);
    const pongs = c.messages.filter((m) => m.type === 'pong').length;
    assert.ok(pongs >= 10 && pongs < 40, `burst of 10 answered, rest limited (pongs ${pongs})`);
    c.ws.close();
  } finally {
    await server.close();
  }
});

test('a stuck client costs bounded memory; every message is either delivered or counted as dropped', async () => {
  const hub = new MetricsHub({ history: { metrics: 0 } });
  const maxQueueMessages = 50;
  const server = await startStreamServer({ hub, maxQueueMessages, highWaterBytes: 64 * 1024 });
  try {
    const stuck = await connect(`${server.wsUrl}?format=msgpack&topics=metrics`);
    const fast = await connect(`${server.wsUrl}?format=msgpack&topics=metrics`);
    const sock = (stuck.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause();
    // ~36 MB in all: more than loopback socket buffers can hide, so the stuck client must hit its cap.
    const pad = 'p'.repeat(6000);
    const N = 6000;
    let maxQueued = 0;
    for (let i = 1; i <= N; i++) {
      hub.publish('metrics', { step: i, pad });
      if (i % 25 === 0) {
        await tick(1);
        maxQueued = Math.max(maxQueued, server.stats().queued);
      }
    }
    const account = (r: Awaited<ReturnType<typeof connect>>) => {
      const data = r.messages.filter(isData());
      const dropped = r.messages.reduce((a, m) => a + (m.type === 'dropped' ? m.count : 0), 0);
      const seqs = data.map((m) => m.seq);
      assert.ok(seqs.every((q, i) => i === 0 || q > seqs[i - 1]!), 'in order');
      assert.is(data.length + dropped, N, 'received + dropped = published');
      return { received: data.length, dropped };
    };
    await fast.waitFor((m) => isData()(m) && m.seq === N, 20000);
    assert.ok(maxQueued <= 2 * maxQueueMessages, `queues stayed bounded (max queued ${maxQueued})`);
    const s = server.stats();
    assert.ok(s.dropped > 0, 'the stuck client had messages dropped');

    sock.resume();
    await stuck.waitFor((m) => isData()(m) && m.seq === N, 20000);
    const f = account(fast);
    const k = account(stuck);
    assert.ok(k.dropped > N / 2, `the stuck client lost most and was told so (${k.dropped})`);
    assert.ok(f.received > 0.9 * N, `the stuck client did not hold back the other one (${f.received}/${N})`);
    stuck.ws.close();
    fast.ws.close();
  } finally {
    await server.close();
  }
});

test('a late client gets the whole kept history even when it is larger than its queue cap', async () => {
  const N = 1500;
  const hub = new MetricsHub({ history: { metrics: N } });
  const pad = 'h'.repeat(4000); // 6 MB of history against a 64 kB queue
  for (let i = 1; i <= N; i++) hub.publish('metrics', { step: i, pad });
  const server = await startStreamServer({ hub, maxQueueBytes: 64 * 1024, highWaterBytes: 64 * 1024 });
  try {
    const c = await connect(`${server.wsUrl}?format=msgpack`);
    c.ws.send(JSON.stringify({ type: 'subscribe', topics: ['metrics'] }));
    await c.waitFor(isData('metrics'));
    hub.publish('metrics', { step: N + 1 }); // live, while the history is still streaming
    const ack = c.waitFor((m) => m.type === 'subscribed', 20000);
    await c.waitFor((m) => isData()(m) && m.seq === N + 1, 20000);
    await ack;
    assert.is(c.messages[0]!.type, 'welcome', 'welcome first');
    const seqs = c.messages.filter(isData()).map((m) => m.seq);
    assert.equal(seqs, Array.from({ length: N + 1 }, (_, i) => i + 1), 'every kept message once, in order, then the live one');
    assert.not.ok(c.messages.some((m) => m.type === 'dropped'));
    const ackAt = c.messages.findIndex((m) => m.type === 'subscribed');
    const lastHistory = c.messages.findIndex((m) => isData()(m) && m.seq === N);
    assert.ok(ackAt > lastHistory, 'the ack follows the history');
    c.ws.close();
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------------
// Any client behaviour stays bounded (issue: replay amplification, churn, idle lock-out)

/** A hub whose history is what a long run leaves: 5000 metrics records, 16 episodes of 30 40×40 frames, 500 events. */
function fullHub(): MetricsHub {
  const hub = new MetricsHub();
  const frames = Array.from({ length: 30 }, (_, i) => ({ rgb: new Uint8Array(40 * 40 * 3).fill(i), height: 40, width: 40 }));
  for (let i = 1; i <= 5000; i++) hub.publish('metrics', { step: i, time: i, envSteps: 64 * i, loss: 1 / i, a: i, b: 2 * i, c: 3 * i, d: 4 * i });
  for (let i = 1; i <= 16; i++) hub.publish('episode', { step: i, envId: 'KeyDoor-v0', seed: i, reward: 0, success: false, steps: [], frames });
  for (let i = 1; i <= 500; i++) hub.publish('event', { kind: 'checkpoint', message: `checkpoint ${i}` });
  hub.publish('config', { lr: 1e-3 });
  return hub;
}

test('clients that never read and resubscribe "*" at the rate limit: queues, replay and heap stay within their budgets', async () => {
  const hub = fullHub();
  const budget = { maxQueueBytes: 256 * 1024, maxTotalQueueBytes: 1024 * 1024, replayBytesPerSecond: 2 * 1024 * 1024, replayMessagesPerSecond: 5000, highWaterBytes: 64 * 1024 };
  const server = await startStreamServer({ hub, ...budget, clientMessagesPerSecond: 20, maxBadMessages: 1000 });
  const heap0 = process.memoryUsage().heapUsed;
  try {
    const good = await connectStream(server.wsUrl, { format: 'msgpack', topics: ['metrics'] });
    let goodLast = 0;
    good.onMessage((m) => { if (m.type === 'data') goodLast = Math.max(goodLast, m.seq); });
    const abusers = await Promise.all(Array.from({ length: 6 }, () => connectStream(server.wsUrl, { format: 'msgpack', topics: '*' })));
    for (const a of abusers) (a.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const t0 = Date.now();
    let peak = { queuedBytes: 0, replayCursors: 0, replayPending: 0, heap: 0 };
    let on = false;
    const frames = Array.from({ length: 30 }, () => ({ rgb: new Uint8Array(4800), height: 40, width: 40 }));
    for (let tick = 0; Date.now() - t0 < 2500; tick++) {
      // 19 messages per second each, just under the limit of 20: subscribe "*" / unsubscribe "*" alternately.
      if (tick % 3 === 0) {
        on = !on;
        for (const a of abusers) a.ws.send(JSON.stringify({ type: on ? 'unsubscribe' : 'subscribe', topics: '*' }));
      }
      hub.publish('metrics', { step: 5000 + tick, loss: 0.5 });
      if (tick % 10 === 0) hub.publish('episode', { step: tick, envId: 'KeyDoor-v0', seed: tick, reward: 0, success: false, steps: [], frames });
      await tick_(17);
      const s = server.stats();
      peak = {
        queuedBytes: Math.max(peak.queuedBytes, s.queuedBytes), replayCursors: Math.max(peak.replayCursors, s.replayCursors),
        replayPending: Math.max(peak.replayPending, s.replayPending), heap: Math.max(peak.heap, process.memoryUsage().heapUsed - heap0),
      };
    }
    const elapsed = (Date.now() - t0) / 1000;
    const s = server.stats();
    const episodeFrame = 30 * 4800 + 1024;
    assert.ok(peak.queuedBytes <= budget.maxTotalQueueBytes + episodeFrame, `bytes queued over all clients ≤ the global budget (peak ${peak.queuedBytes})`);
    assert.ok(peak.replayCursors <= 7 * TOPICS.length, `at most one replay cursor per client and topic (peak ${peak.replayCursors})`);
    const kept = TOPICS.reduce((n, t) => n + hub.history(t).length, 0);
    assert.ok(peak.replayPending <= 7 * kept, `pending replay ≤ clients × kept history, however often they resubscribe (peak ${peak.replayPending})`);
    assert.ok(s.replayedBytes <= budget.replayBytesPerSecond * (elapsed + 1) + episodeFrame, `history replayed ≤ the replay rate × time + one second's burst (${s.replayedBytes} bytes in ${elapsed.toFixed(1)} s)`);
    assert.ok(peak.heap < 96 * 2 ** 20, `heap growth bounded (${(peak.heap / 2 ** 20).toFixed(1)} MB)`);
    await good.waitFor(() => goodLast >= hub.kept('metrics').last, 10_000).catch(() => undefined);
    assert.is(goodLast, hub.kept('metrics').last, 'a client that reads still gets every metrics record');
    for (const a of abusers) a.ws.terminate();
    good.close();
  } finally {
    await server.close();
  }
});

/** `await tick_(ms)`: a timer (tick() above yields to the event loop). */
const tick_ = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('connection churn is cheap: a client that connects and leaves at once is sent a sliver of the history, and nothing stays behind', async () => {
  const hub = fullHub();
  const historyBytes = (await (async () => {
    // What a client that stays is sent: the whole kept history.
    const server = await startStreamServer({ hub });
    try {
      const c = await connectStream(server.wsUrl, { format: 'msgpack', topics: '*', record: true });
      c.ws.send(JSON.stringify({ type: 'ping', id: 'end' }));
      await c.waitFor((m) => m.type === 'pong', 20_000);
      c.close();
      return server.stats().replayedBytes;
    } finally {
      await server.close();
    }
  })());
  assert.ok(historyBytes > 2 * 2 ** 20, `the kept history is big (${historyBytes} bytes)`);
  const server = await startStreamServer({ hub, maxConnectionsPerSecond: 1000 });
  try {
    const N = 100;
    for (let i = 0; i < N; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => new Promise<void>((done) => {
        const ws = new WebSocket(`${server.wsUrl}?format=msgpack&topics=*`, { perMessageDeflate: false });
        ws.on('open', () => ws.close());
        ws.on('close', () => done());
        ws.on('error', () => done());
      })));
    }
    for (let i = 0; i < 50 && server.stats().clients > 0; i++) await tick_(20);
    const s = server.stats();
    assert.is(s.clients, 0, 'every churned client is gone');
    assert.is(s.connections, N);
    assert.ok(s.replayedBytes / N < historyBytes / 20, `per churned connection ${(s.replayedBytes / N / 1024).toFixed(0)} kB replayed, against ${(historyBytes / 1024).toFixed(0)} kB of history`);
    assert.is(s.replayCursors, 0);
  } finally {
    await server.close();
  }
});

test('new connections beyond maxConnectionsPerSecond are refused with 429 before any upgrade work', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, maxConnectionsPerSecond: 5 });
  try {
    const results = await Promise.all(Array.from({ length: 20 }, () => connect(server.wsUrl).then((c) => (c.close(), 101), (e: { status: number }) => e.status)));
    const accepted = results.filter((r) => r === 101).length;
    assert.ok(accepted >= 10 && accepted <= 11, `the burst (2 × 5) is accepted: ${accepted}`);
    assert.ok(results.filter((r) => r === 429).length >= 9, `the rest get 429: ${results}`);
    assert.ok(server.stats().refusedRate >= 9);
    await tick_(1100);
    const again = await connect(server.wsUrl);
    again.close();
  } finally {
    await server.close();
  }
});

test('idle clients cannot lock out the page: when full, the longest-idle client is displaced (4001), an active one is not', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, maxClients: 3, idleMs: 300 });
  try {
    const idle = await Promise.all([connect(server.wsUrl), connect(server.wsUrl)]);
    const active = await connect(server.wsUrl);
    const pinger = setInterval(() => active.ws.send(JSON.stringify({ type: 'ping' })), 60);
    try {
      const early = await connect(server.wsUrl).catch((e) => e as { status: number });
      assert.is((early as { status: number }).status, 503, 'full, and nobody idle long enough yet');
      await tick_(400);
      const page = await connect(`${server.wsUrl}?topics=metrics`);
      const closed = await Promise.race([...idle.map((c) => c.closed), tick_(2000).then(() => ({ code: -1, reason: '' }))]);
      assert.is(closed.code, CLOSE_CODES.idleEvicted, 'an idle client was told why it was closed');
      const second = await connect(server.wsUrl);
      assert.is(server.stats().evicted, 2, 'both idle clients made room');
      const third = await connect(server.wsUrl).catch((e) => e as { status: number });
      assert.is((third as { status: number }).status, 503, 'the pinging client and the fresh ones are not displaced');
      hub.publish('metrics', { step: 1 });
      await page.waitFor(isData('metrics'));
      assert.is(active.ws.readyState, WebSocket.OPEN);
      page.close();
      second.close();
    } finally {
      clearInterval(pinger);
    }
  } finally {
    await server.close();
  }
});

test('DNS rebinding: without a token, only loopback Host names (and loopback Origins) are answered', async () => {
  const hub = new MetricsHub();
  const runsDir = mkdtempSync(join(tmpdir(), 'thrive-runs-'));
  const server = await startStreamServer({ hub, runsDir });
  const status = (path: string, host: string) =>
    new Promise<number>((done, fail) => httpGet({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => (res.resume(), done(res.statusCode ?? 0))).on('error', fail));
  try {
    const evil = `evil.example:${server.port}`;
    // What a rebound page sends: its own name as Host and Origin.
    const ws = await connect(server.wsUrl, { host: evil, origin: `http://${evil}` }).catch((e) => e as { status: number });
    assert.is((ws as { status: number }).status, 403, 'the stream');
    for (const p of ['/api/runs', '/api/info', '/']) assert.is(await status(p, evil), 403, p);
    assert.is(await status('/api/runs', `localhost.evil.example:${server.port}`), 403);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, 'localhost']) assert.is(await status('/api/runs', host), 200, host);
    const ok = await connect(server.wsUrl, { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` });
    ok.close();
    const other = await connect(server.wsUrl, { origin: 'http://[::1]:9' });
    other.close();
    assert.ok(server.stats().refusedHost >= 5);
  } finally {
    await server.close();
  }
  // With a token, the token guards: any Host is answered when the token is right.
  const token = 'abcdefghijklmnop0123';
  const guarded = await startStreamServer({ hub, token });
  try {
    const c = await connect(`${guarded.wsUrl}?token=${token}`, { host: `evil.example:${guarded.port}` });
    c.close();
  } finally {
    await guarded.close();
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('/protocol.js is generated from the protocol source: the page never restates the version', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub });
  try {
    const res = await fetch(`${server.url}protocol.js`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    const body = await res.text();
    const mod = await import(`data:text/javascript,${encodeURIComponent(body)}`);
    assert.is(mod.PROTOCOL_VERSION, PROTOCOL_VERSION);
    assert.equal(mod.TOPICS, [...TOPICS]);
    assert.is(mod.CLOSE_CODES.idleEvicted, CLOSE_CODES.idleEvicted);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------------
// Security, HTTP endpoints

test('a non-loopback host needs a token; the token guards /ws and /api', async () => {
  const hub = new MetricsHub();
  let err: Error | undefined;
  await startStreamServer({ hub, host: '0.0.0.0' }).catch((e) => (err = e));
  assert.match(err?.message ?? '', /host "0\.0\.0\.0" is not loopback.*pass a token/);
  await startStreamServer({ hub, token: 'short' }).catch((e) => (err = e));
  assert.match(err?.message ?? '', /at least 16/);
  await startStreamServer({ hub, prot: 1 } as never).catch((e) => (err = e));
  assert.match(err?.message ?? '', /unknown config key 'server\.prot' \(did you mean 'server\.port'\?\)/);
  await startStreamServer({ hub, port: 70000 }).catch((e) => (err = e));
  assert.match(err?.message ?? '', /'server\.port' must be an integer >= 0 and <= 65535, got 70000/);

  const token = 'abcdefghijklmnop0123';
  const server = await startStreamServer({ hub, token });
  try {
    const refused = await connect(`${server.wsUrl}?format=json`).catch((e) => e as { status: number });
    assert.is((refused as { status: number }).status, 401);
    const wrong = await connect(`${server.wsUrl}?format=json&token=${token}x`).catch((e) => e as { status: number });
    assert.is((wrong as { status: number }).status, 401);
    const ok = await connect(`${server.wsUrl}?format=json&token=${token}`);
    await ok.waitFor((m) => m.type === 'welcome');
    ok.ws.close();
    const viaHeader = await connect(`${server.wsUrl}?format=json`, { authorization: `Bearer ${token}` });
    viaHeader.ws.close();
    assert.is((await fetch(`${server.url}api/runs`)).status, 401);
    assert.is((await fetch(`${server.url}api/runs?token=${token}`)).status, 200);
    assert.is((await fetch(server.url)).status, 200, 'the page itself carries no data and needs no token');
  } finally {
    await server.close();
  }
});

test('without a token, browser connections from non-loopback origins are refused', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub });
  try {
    const evil = await connect(server.wsUrl, { origin: 'http://evil.example' }).catch((e) => e as { status: number });
    assert.is((evil as { status: number }).status, 403);
    for (const origin of ['http://localhost.evil.example', 'null', 'http://10.0.0.1:8080']) {
      const r = await connect(server.wsUrl, { origin }).catch((e) => e as { status: number });
      assert.is((r as { status: number }).status, 403, origin);
    }
    const same = await connect(server.wsUrl, { origin: `http://127.0.0.1:${server.port}` });
    same.ws.close();
    const otherRun = await connect(server.wsUrl, { origin: 'http://127.0.0.1:9' });
    otherRun.ws.close();
  } finally {
    await server.close();
  }
});

test('bad query parameters are refused at upgrade', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, maxClients: 1 });
  try {
    for (const q of ['format=xml', 'topics=metrics,bogus']) {
      const r = await connect(`${server.wsUrl}?${q}`).catch((e) => e as { status: number });
      assert.is((r as { status: number }).status, 400, q);
    }
    const other = await connect(server.wsUrl.replace('/ws', '/other')).catch((e) => e as { status: number });
    assert.is((other as { status: number }).status, 404);
    const one = await connect(server.wsUrl);
    const two = await connect(server.wsUrl).catch((e) => e as { status: number });
    assert.is((two as { status: number }).status, 503, 'maxClients');
    one.ws.close();
  } finally {
    await server.close();
  }
});

test('serves the page, vendored assets and runs on disk, and nothing outside them', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'thrive-runs-'));
  const run = join(runsDir, 'cartpole-20261126T160000');
  mkdirSync(run);
  writeFileSync(join(run, 'config.json'), JSON.stringify({ lr: 0.01 }));
  writeFileSync(join(run, 'metrics.jsonl'), '{"step":1,"loss":2}\n{"step":2,"loss":1}\n');
  writeFileSync(join(run, 'summary.json'), JSON.stringify({ bestReward: 3 }));
  mkdirSync(join(runsDir, 'empty-dir'));
  writeFileSync(join(runsDir, 'secret.txt'), 'no');
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, runsDir, runName: 'live' });
  try {
    const get = (p: string) => fetch(new URL(p, server.url));
    const page = await get('/');
    assert.is(page.status, 200);
    assert.match(await page.text(), /<script type="module"/);
    for (const p of ['/vendor/uplot.esm.js', '/vendor/uplot.min.css', '/vendor/msgpackr/unpack.js', '/app.js', '/style.css']) {
      assert.is((await get(p)).status, 200, p);
    }
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/vendor/../../package.json', '/api/runs/..%2fsecret.txt/config', '/api/runs/cartpole-20261126T160000/checkpoints']) {
      assert.ok([400, 404].includes((await get(p)).status), p);
    }
    assert.is((await fetch(server.url, { method: 'POST' })).status, 405);
    assert.is((await get('/%E0%A4%A')).status, 400);
    const runs = (await (await get('/api/runs')).json()) as { name: string; files: string[]; summary?: unknown }[];
    assert.equal(runs.map((r) => r.name), ['cartpole-20261126T160000']);
    assert.equal(runs[0]!.files.sort(), ['config', 'metrics', 'summary']);
    assert.equal(runs[0]!.summary, { bestReward: 3 });
    const metrics = await (await get('/api/runs/cartpole-20261126T160000/metrics')).text();
    assert.is(metrics.trim().split('\n').length, 2);
    assert.equal(await (await get('/api/runs/cartpole-20261126T160000/config')).json(), { lr: 0.01 });
    assert.is((await get('/api/runs/cartpole-20261126T160000/episodes')).status, 404);
    const info = (await (await get('/api/info')).json()) as { runName: string; topics: string[] };
    assert.is(info.runName, 'live');
    assert.equal(info.topics, [...TOPICS]);
  } finally {
    await server.close();
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('close() ends connected clients and frees the port', async () => {
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub });
  const c = await connect(server.wsUrl);
  await server.close();
  assert.is((await c.closed).code, 1001);
  hub.publish('metrics', { step: 1 });
  assert.is(hub.stats().listeners, 0);
  const again = new WebSocket(server.wsUrl);
  const err = await new Promise<Error>((r) => again.on('error', r));
  assert.match(err.message, /ECONNREFUSED/);
});

test.run();
