/**
 * The annotator against a failing judge (issue #14): transient failures retried with bounded backoff,
 * the circuit breaker (an outage is visible and costs few judge calls), the caption budget, late labels.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Annotator, CircuitBreaker, RubricJudge, captionKey, retryDelayMs, validateAnnotatorConfig, validateJudgeConfig,
  type AnnotationRequest, type Judge, type JudgeErrorKind, type JudgeResult, type RubricJudgeConfig,
} from '../../rewards/index.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const items = (n: number, tag = '') => Array.from({ length: n }, (_, i) => req(`You move ${tag}${i}.`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, ms = 3000) => { const t0 = Date.now(); while (!cond() && Date.now() - t0 < ms) await sleep(2); return cond(); };
const FAST = { backoffMs: 4, maxBackoffMs: 16 };

/** An async judge that answers `error` while `down` is true, else label 1; counts the items it was sent. */
class Switch implements Judge {
  readonly kind = 'switch'; readonly id = 'switch'; down = true; sent = 0; calls = 0;
  constructor(private readonly error: JudgeErrorKind = 'http_5xx') {}
  async label(batch: AnnotationRequest[]): Promise<JudgeResult[]> {
    this.calls++; this.sent += batch.length;
    await sleep(1);
    return batch.map(() => (this.down ? { ok: false, error: this.error } : { ok: true, label: 1 }));
  }
  async compare() { return []; }
}

test('retry delays: doubling from backoffMs, capped, equal jitter in [½, 1] of the cap, reproducible', () => {
  const c = validateAnnotatorConfig({ retry: { backoffMs: 100, maxBackoffMs: 500 } }).retry;
  for (const [n, cap] of [[1, 100], [2, 200], [3, 400], [4, 500], [9, 500]] as const) {
    const d = retryDelayMs(c, 'k', n);
    assert.ok(d >= cap / 2 && d <= cap, `retry ${n}: ${d} not in [${cap / 2}, ${cap}]`);
    assert.is(retryDelayMs(c, 'k', n), d);
  }
  assert.is.not(retryDelayMs(c, 'a', 1), retryDelayMs(c, 'b', 1));
});

test('config: retry and maxCaptions defaults; errors name the dotted key', () => {
  const c = validateAnnotatorConfig({});
  assert.equal(c.retry, { limit: 8, backoffMs: 1000, maxBackoffMs: 30000, breakerThreshold: 10 });
  assert.is(c.maxCaptions, null);
  assert.equal(validateAnnotatorConfig(c), c);
  assert.throws(() => validateAnnotatorConfig({ retry: { limt: 1 } }), /unknown config key 'rewards\.annotator\.retry\.limt' \(did you mean 'rewards\.annotator\.retry\.limit'\?\)/);
  assert.throws(() => validateAnnotatorConfig({ maxCaptions: -1 }), /'rewards\.annotator\.maxCaptions' must be an integer >= 0 or null/);
  assert.throws(() => validateAnnotatorConfig({ retries: 3 }), /unknown config key 'rewards\.annotator\.retries'/);
});

test('a judge down at start: failed items are retried with backoff and labelled once it is back, without being requested again', async () => {
  const judge = new Switch();
  const a = new Annotator(judge, { cacheDir: null, retry: { ...FAST, limit: 20, breakerThreshold: 0 } });
  const xs = items(17);
  a.request(xs); // the learner asks once and never again
  assert.ok(await until(() => a.metrics().retries >= 34), 'each item retried at least twice while down');
  assert.is(a.metrics().captionsLabelled, 0);
  assert.ok(a.metrics().judgeErrors.http_5xx >= 34);
  judge.down = false;
  assert.ok(await until(() => a.metrics().captionsLabelled === 17));
  assert.equal(a.drainLabels().map((l) => l.caption).sort(), xs.map((x) => x.caption).sort());
  const m = a.metrics();
  assert.is(m.captionsGivenUp, 0);
  assert.is(m.retriesPending, 0);
  assert.is(m.captionsSent, 17, 'retries are not new captions');
  a.request(xs);
  assert.is(a.metrics().captionsLabelled, 17, 'labelled items are not sent again');
  await a.close();
});

test('bounded: after retry.limit retries an item is given up and forgotten (a later request tries again); non-transient errors are not retried', async () => {
  const judge = new Switch();
  const a = new Annotator(judge, { cacheDir: null, retry: { ...FAST, limit: 3, breakerThreshold: 0 } });
  a.request(items(5));
  assert.ok(await until(() => a.metrics().captionsGivenUp === 5));
  assert.is(judge.sent, 5 * 4, 'first try + 3 retries each');
  assert.is(a.metrics().retries, 15);
  assert.is(a.metrics().retriesPending, 0);
  judge.down = false;
  a.request(items(5));
  assert.ok(await until(() => a.metrics().captionsLabelled === 5));
  await a.close();
  const bad = new Switch('unparseable');
  const b = new Annotator(bad, { cacheDir: null, retry: FAST });
  b.request(items(4));
  await b.idle();
  await sleep(40);
  assert.is(bad.sent, 4);
  assert.is(b.metrics().retries, 0);
  assert.is(b.metrics().judgeDown, 0, 'an unusable answer is not an outage');
  await b.close();
});

test('circuit breaker: a judge that keeps failing is paused and probed with one item; the outage is visible; it closes on recovery', async () => {
  const judge = new Switch();
  const a = new Annotator(judge, { cacheDir: null, batchSize: 5, inFlight: 1, retry: { backoffMs: 30, maxBackoffMs: 60, limit: 50, breakerThreshold: 10 } });
  a.request(items(200, 'x'));
  assert.ok(await until(() => a.metrics().judgeDown === 1));
  const m = a.metrics();
  assert.is(m.judgeOutages, 1);
  assert.ok(m.judgeConsecutiveFailures >= 10);
  await sleep(150);
  const sentWhileDown = judge.sent;
  // without the breaker every item would have been tried by now (200 sends, then their retries)
  assert.ok(sentWhileDown <= 10 + 6, `items sent during the outage: ${sentWhileDown}`);
  assert.ok(a.metrics().judgeOutageSeconds > 0.1);
  assert.is(a.metrics().captionsGivenUp, 0);
  judge.down = false;
  assert.ok(await until(() => a.metrics().judgeDown === 0), 'a successful probe closes the breaker');
  assert.is(a.metrics().judgeOutageSeconds, 0);
  assert.ok(await until(() => a.metrics().captionsLabelled === 200, 5000), `labelled ${a.metrics().captionsLabelled}`);
  await a.close();
});

test('without the breaker, the same outage sends every item (what the breaker saves)', async () => {
  const judge = new Switch();
  const a = new Annotator(judge, { cacheDir: null, batchSize: 5, inFlight: 1, retry: { backoffMs: 30, maxBackoffMs: 60, limit: 50, breakerThreshold: 0 } });
  a.request(items(200, 'y'));
  assert.ok(await until(() => judge.sent >= 200));
  assert.is(a.metrics().judgeDown, 0);
  await a.close();
});

test('CircuitBreaker states: closed → open (threshold) → half-open (one probe) → open for twice as long, or closed', () => {
  const b = new CircuitBreaker({ limit: 1, backoffMs: 100, maxBackoffMs: 1000, breakerThreshold: 3 });
  assert.is(b.state(0), 'closed');
  assert.is(b.failure(0), false); assert.is(b.failure(0), false);
  b.success();
  assert.is(b.failure(1), false); assert.is(b.failure(1), false);
  assert.is(b.failure(1), true);
  assert.is(b.state(50), 'open');
  assert.is(b.allowance(50, 1), 0);
  assert.is(b.state(101), 'half-open');
  assert.is(b.allowance(101, 1), 1);
  assert.is(b.allowance(101, 1), 0, 'one probe at a time');
  assert.is(b.failure(102), true);
  assert.is(b.reopensAt, 302, 'the pause doubles');
  assert.is(b.allowance(302, 2), 2);
  b.success();
  assert.is(b.state(303), 'closed');
  assert.is(b.allowance(303, 1), Infinity);
  assert.is(b.outages, 1);
});

test('budget: at most maxCaptions distinct items are sent; the rest are counted, not sent; retries are free', async () => {
  const rubric = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig);
  const a = new Annotator(rubric, { cacheDir: null, maxCaptions: 4 });
  a.request(items(3, 'a'));
  a.request(items(5, 'b'));
  a.request(items(5, 'b')); // duplicates: not counted again
  assert.is(a.drainLabels().length, 4);
  const m = a.metrics();
  assert.is(m.captionsSent, 4);
  assert.is(m.captionsNotSent, 4);
  const judge = new Switch();
  const b = new Annotator(judge, { cacheDir: null, maxCaptions: 2, retry: { ...FAST, breakerThreshold: 0 } });
  b.request(items(2, 'c'));
  await until(() => b.metrics().retries >= 4);
  judge.down = false;
  assert.ok(await until(() => b.metrics().captionsLabelled === 2), 'retries of budgeted items still go out');
  b.request(items(3, 'd'));
  await b.idle();
  assert.is(b.metrics().captionsNotSent, 3);
  assert.is(b.metrics().captionsSent, 2);
  await b.close();
});

test('late labels: an asynchronous judge delivers after the drain that followed the request; a sync judge never', async () => {
  const slow = new RubricJudge(validateJudgeConfig({ kind: 'rubric', latencyMs: 15 }) as RubricJudgeConfig);
  const a = new Annotator(slow, { cacheDir: null, batchSize: 2 });
  a.request(items(4, 'l'));
  assert.is(a.drainLabels().length, 0); // the learner's immediate drain: nothing yet
  await a.idle();
  assert.is(a.drainLabels().length, 4);
  const m = a.metrics();
  assert.is(m.labelsLate, 4);
  assert.ok(m.labelLatencyMs >= 14, `latency ${m.labelLatencyMs}`);
  await a.close();
  const sync = new Annotator(new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig), { cacheDir: null });
  sync.request(items(4, 'l'));
  assert.is(sync.drainLabels().length, 4);
  assert.is(sync.metrics().labelsLate, 0);
});

test.run();
