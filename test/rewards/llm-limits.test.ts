/**
 * The LLM judge's bounds and the judge in the loop, against the STAND-IN OpenAI-compatible server (rubric
 * answers, not a language model) on 127.0.0.1: reply size bound, request budget, an outage at start
 * survived through the annotator's retries, instant error replies held off by the breaker, the stand-in's
 * latency range and noisy oracle, and the stand-in as its own process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Annotator, LlmJudge, RubricJudge, captionKey, pointJudgeAt, rubricLabel, startStandInProcess, startStandInServer,
  validateJudgeConfig, type AnnotationRequest, type LlmJudgeConfig, type RubricJudgeConfig, type StandInOptions,
} from '../../rewards/index.ts';
import { envOf } from './fixtures/env-context.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const captions = ['You pick up the red key.', 'You bump into a wall.', 'You open the door.', 'You move north.', 'You reach the goal!'];
const judgeFor = (url: string, o: Record<string, unknown> = {}) => new LlmJudge(
  validateJudgeConfig({ kind: 'llm', baseUrl: url, model: 'standin', retries: 0, timeoutMs: 5000, ...o }) as LlmJudgeConfig, { random: () => 0.5 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, ms = 5000) => { const t0 = Date.now(); while (!cond() && Date.now() - t0 < ms) await sleep(5); return cond(); };

async function withServer(opts: StandInOptions, fn: (url: string, s: Awaited<ReturnType<typeof startStandInServer>>) => Promise<void>) {
  const s = await startStandInServer(opts);
  try { await fn(s.url, s); } finally { await s.close(); }
}

test('config: maxRequests and maxResponseBytes, with defaults and named errors', () => {
  const c = validateJudgeConfig({ kind: 'llm' }) as LlmJudgeConfig;
  assert.is(c.maxRequests, null);
  assert.is(c.maxResponseBytes, 1_048_576);
  assert.equal(validateJudgeConfig(c), c);
  assert.throws(() => validateJudgeConfig({ kind: 'llm', maxRequests: 1.5 }), /'rewards\.judge\.maxRequests' must be an integer >= 0 or null/);
  assert.throws(() => validateJudgeConfig({ kind: 'llm', maxResponseBytes: 10 }), /'rewards\.judge\.maxResponseBytes' must be an integer >= 1024/);
});

test('a reply body larger than maxResponseBytes is abandoned as it streams (response_too_large)', async () => {
  await withServer({ mode: 'huge', hugeBytes: 64 * 2 ** 20 }, async (url) => {
    const judge = judgeFor(url, { maxResponseBytes: 64 * 1024 });
    assert.equal(await judge.label([req('You open the door.')]), [{ ok: false, error: 'response_too_large' }]);
    assert.equal(judge.stats().errors, { response_too_large: 1 });
  });
  await withServer({ mode: 'huge', hugeBytes: 8 * 1024 }, async (url) => {
    // under the bound: read whole, then rejected as not the chat-completions JSON
    assert.equal(await judgeFor(url).label([req('You open the door.')]), [{ ok: false, error: 'malformed_json' }]);
  });
});

test('request budget: at most maxRequests requests (retries included), then budget answers without a request', async () => {
  await withServer({ failFirst: 1 }, async (url, s) => {
    const judge = judgeFor(url, { maxRequests: 4, retries: 1, backoffMs: 1, maxBackoffMs: 1, concurrency: 1 });
    const a = new Annotator(judge, { cacheDir: null, retry: { limit: 0 } });
    a.request(captions.map(req));
    await a.idle();
    assert.is(s.requests, 4);
    const m = a.metrics();
    assert.is(m.captionsLabelled, 3, 'one request was the flaky start, retried');
    assert.is(m.captionsNotSent, 2);
    assert.is(m.captionsSent, 3);
    assert.is(m.judgeErrors.budget, 2);
    assert.is(m.judgeAttempts, 4);
    assert.is(m.judgeBudgetLeft, 0);
    assert.is(judge.stats().budgetRefused, 2);
    await a.close();
  });
});

test('the issue #14 outage: the server answers 500 at first; every caption still gets its label once it is back', async () => {
  await withServer({ failForMs: 800 }, async (url, s) => {
    const judge = judgeFor(url, { retries: 0 });
    const a = new Annotator(judge, { cacheDir: null, retry: { backoffMs: 40, maxBackoffMs: 100, limit: 20, breakerThreshold: 5 } });
    const xs = Array.from({ length: 17 }, (_, i) => req(`${captions[i % 5]} ${i}`));
    a.request(xs);
    assert.ok(await until(() => a.metrics().judgeDown === 1), 'the outage is visible');
    assert.ok(await until(() => a.metrics().captionsLabelled === 17), `labelled ${a.metrics().captionsLabelled}`);
    const m = a.metrics();
    assert.ok(m.judgeErrors.http_5xx >= 5);
    assert.is(m.captionsGivenUp, 0);
    assert.is(m.judgeDown, 0);
    assert.ok(s.requests < 17 * 3, `requests ${s.requests}: the breaker held retries back during the outage`);
    assert.equal(a.drainLabels().map((l) => l.label).sort(), xs.map((x) => rubricLabel(envOf(ENV), x.caption)).sort());
    await a.close();
  });
});

test('instant 500 replies: with the breaker the server sees a handful of requests, not one per caption', async () => {
  for (const threshold of [10, 0]) {
    await withServer({ mode: '500' }, async (url, s) => {
      const a = new Annotator(judgeFor(url, { concurrency: 4 }), { cacheDir: null, batchSize: 20, inFlight: 2, retry: { backoffMs: 200, maxBackoffMs: 400, limit: 3, breakerThreshold: threshold } });
      a.request(Array.from({ length: 300 }, (_, i) => req(`You move ${i}.`)));
      if (threshold) {
        assert.ok(await until(() => a.metrics().judgeDown === 1), 'the breaker opens');
        await until(() => a.metrics().inFlight === 0);
        const opened = s.requests;
        await sleep(300);
        // two batches of 20 were in flight when it opened, then one probe per pause (200–400 ms)
        assert.ok(opened <= 40 + 2, `requests until it opened: ${opened}`);
        assert.ok(s.requests - opened <= 3, `requests in the 300 ms after: ${s.requests - opened}`);
      } else assert.ok(await until(() => s.requests >= 300), `requests without it: ${s.requests}`);
      await a.close(0);
    });
  }
});

test('stand-in latency range and noisy oracle: each answer waits ≥ latencyMs; labels are the rubric flipped as RubricJudge would', async () => {
  await withServer({ latencyMs: 30, latencyMaxMs: 90, noise: 0.3, seed: 4 }, async (url) => {
    const judge = judgeFor(url, { concurrency: 8 });
    const xs = Array.from({ length: 24 }, (_, i) => req(`${captions[i % 5]}${' '.repeat(i)}`));
    const t0 = performance.now();
    const res = await judge.label(xs);
    assert.ok(performance.now() - t0 >= 30);
    const noisy = new RubricJudge(validateJudgeConfig({ kind: 'rubric', noise: 0.3, seed: 4 }) as RubricJudgeConfig);
    assert.equal(res.map((r) => (r.ok ? r.label : -1)), xs.map((x) => noisy.labelOf(x)));
    assert.ok(xs.some((x) => noisy.labelOf(x) !== rubricLabel(envOf(ENV), x.caption)), 'some labels are flipped');
  });
});

test('the stand-in as its own process on loopback: URL on stdout, labels over HTTP, clean stop; pointJudgeAt', async () => {
  const p = await startStandInProcess({ latencyMs: [5, 10], seed: 1 });
  try {
    assert.match(p.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await judgeFor(p.url).label(captions.map(req));
    assert.equal(res, captions.map((c) => ({ ok: true, label: rubricLabel(envOf(ENV), c) })));
  } finally { await p.stop(); }
  await p.stop(); // idempotent
  assert.equal(pointJudgeAt({ kind: 'llm', model: 'm' }, 'http://x/v1'), { kind: 'llm', model: 'm', baseUrl: 'http://x/v1' });
  assert.equal(pointJudgeAt({ kind: 'shuffled', inner: { kind: 'llm' } }, 'http://x/v1'), { kind: 'shuffled', inner: { kind: 'llm', baseUrl: 'http://x/v1' } });
  assert.throws(() => pointJudgeAt({ kind: 'rubric' }, 'http://x/v1'), /needs an LLM judge/);
});

test.run();
