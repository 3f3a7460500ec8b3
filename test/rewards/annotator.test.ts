import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Annotator, RubricJudge, captionKey, validateJudgeConfig,
  type AnnotationRequest, type Judge, type JudgeResult, type RubricJudgeConfig,
} from '../../rewards/index.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string, envId = ENV): AnnotationRequest => ({ key: captionKey(envId, caption), envId, caption });
const rubric = (o: Partial<RubricJudgeConfig> = {}) => new RubricJudge(validateJudgeConfig({ kind: 'rubric', ...o }) as RubricJudgeConfig);
const msgs = ['You pick up the red key.', 'You bump into a wall.', 'You open the door.', 'You move north.', 'You reach the goal!'];

test('sync rubric: deduplicates, labels at once, counts', () => {
  const a = new Annotator(rubric(), { cacheDir: null });
  a.request([...msgs, ...msgs].map((m) => req(m)));
  a.request([req(msgs[0]!)]);
  const labels = a.drainLabels();
  assert.equal(labels.map((l) => [l.caption, l.label]), [[msgs[0], 1], [msgs[1], 0], [msgs[2], 1], [msgs[3], 0], [msgs[4], 1]]);
  assert.equal(a.drainLabels(), []);
  const m = a.metrics();
  assert.is(m.captionsSeen, 11);
  assert.is(m.captionsUnique, 5);
  assert.is(m.captionsLabelled, 5);
  assert.is(m.backlogDepth, 0);
  assert.is(m.judgeErrorsTotal, 0);
});

test('same-key different-env captions are distinct keys', () => {
  const a = new Annotator(rubric(), { cacheDir: null });
  a.request([req('You open the door.'), req('You open the door.', 'Addition-v0')]);
  assert.equal(a.drainLabels().map((l) => l.label).sort(), [0, 1]);
});

test('bounded backlog: newest win, drops counted, newest labelled first', async () => {
  const judge = rubric({ latencyMs: 5 });
  const a = new Annotator(judge, { cacheDir: null, backlog: 5, batchSize: 2, inFlight: 1 });
  const items = Array.from({ length: 20 }, (_, i) => req(`You move ${'n'.repeat(i + 1)}.`));
  a.request(items);
  assert.is(a.metrics().backlogDropped, 15);
  assert.is(a.drainLabels().length, 0); // async judge: nothing labelled inside request()
  await a.idle();
  const got = a.drainLabels().map((l) => l.caption);
  // batches of 2 taken from the newest end (arrival order inside a batch)
  assert.equal(got, [items[18], items[19], items[16], items[17], items[15]].map((i) => i!.caption));
  // a dropped item is forgotten, so it can be requested again later
  a.request([items[0]!]);
  await a.idle();
  assert.equal(a.drainLabels().map((l) => l.caption), [items[0]!.caption]);
  await a.close();
});

test('labels are cached on disk across runs, keyed by judge id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-labels-'));
  try {
    const a = new Annotator(rubric(), { cacheDir: dir });
    a.request(msgs.map((m) => req(m)));
    await a.close();
    assert.is(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0);
    // latency does not change the rubric's answers, so a slow rubric shares the cache
    const b = new Annotator(rubric({ latencyMs: 1000 }), { cacheDir: dir, sync: 'never' });
    b.request(msgs.map((m) => req(m)));
    assert.is(b.drainLabels().length, 5);
    const c = new Annotator(rubric(), { cacheDir: dir, sync: 'never' });
    c.request(msgs.map((m) => req(m)));
    const labels = c.drainLabels();
    assert.is(labels.length, 5);
    assert.is(c.metrics().cacheHits, 5);
    assert.is(c.metrics().cacheHitRate, 1);
    assert.is(c.metrics().judgeCalls, 0);
    const noisy = new Annotator(rubric({ noise: 0.5 }), { cacheDir: dir, sync: 'never' });
    noisy.request(msgs.map((m) => req(m)));
    assert.is(noisy.metrics().cacheHits, 0);
    await Promise.all([b.close(), c.close(), noisy.close()]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a corrupt cache file is reported and ignored, then rewritten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-labels-'));
  try {
    const j = rubric();
    writeFileSync(join(dir, `labels-${j.id}.json`), '{not json');
    const a = new Annotator(j, { cacheDir: dir });
    assert.match(a.cacheError ?? '', /unreadable/);
    a.request([req(msgs[0]!)]);
    assert.is(a.drainLabels().length, 1);
    await a.close();
    const b = new Annotator(rubric(), { cacheDir: dir });
    assert.is(b.cacheError, null);
    b.request([req(msgs[0]!)]);
    assert.is(b.metrics().cacheHits, 1);
    await b.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

/** A judge that misbehaves in every way a plugin can. */
class BadJudge implements Judge {
  readonly kind = 'llm' as const;
  readonly id = 'bad';
  calls = 0;
  async label(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    this.calls++;
    if (this.calls === 1) throw new Error('boom');
    if (this.calls === 2) return [];                      // too few results
    return items.map((_, i) => (i % 2 ? { ok: false, error: 'http_5xx' } : { ok: true, label: NaN }));
  }
  async compare(): Promise<never[]> { return []; }
}

test('faulty judge: fewer labels, errors counted by kind, no throw; without retries, items can be requested again', async () => {
  const judge = new BadJudge();
  const a = new Annotator(judge, { cacheDir: null, batchSize: 4, inFlight: 1, retry: { limit: 0 } });
  const items = msgs.slice(0, 4).map((m) => req(m));
  a.request(items); await a.idle();
  a.request(items); await a.idle();
  a.request(items); await a.idle();
  const m = a.metrics();
  assert.is(a.drainLabels().length, 0);
  assert.is(judge.calls, 3);
  assert.is(m.judgeErrors.exception, 8);
  assert.is(m.judgeErrors.http_5xx, 2);
  assert.is(m.judgeError_http_5xx, 2); // flat copy for number-only metric sinks
  assert.is(m.judgeErrors.invalid_label, 2);
  assert.is(m.captionsLabelled, 0);
  await a.close();
});

test('pair mode: pairwise labels with the preferred side', () => {
  const a = new Annotator(rubric(), { cacheDir: null, mode: 'pair', batchSize: 10 });
  a.request(msgs.map((m) => req(m)));
  const labels = a.drainLabels();
  assert.is(labels.length, 2); // 5 items → 2 pairs, one waits for a partner
  assert.is(a.metrics().backlogDepth, 1);
  for (const l of labels) {
    assert.ok(l.pair);
    assert.ok([0, 0.5, 1].includes(l.pair!.preferred));
    assert.is(l.label, l.pair!.preferred === 0 ? 1 : l.pair!.preferred === 1 ? 0 : 0.5);
  }
  // the oldest item waits; pairs (wall, door) and (move north, goal!): the second is preferred in both
  assert.equal(labels.map((l) => [l.caption, l.pair!.other, l.pair!.preferred]), [[msgs[1], msgs[2], 1], [msgs[3], msgs[4], 1]]);
});

test('zero-latency rubric runs are reproducible', () => {
  const run = () => {
    const a = new Annotator(rubric({ noise: 0.3, seed: 3 }), { cacheDir: null, batchSize: 3 });
    const out: string[] = [];
    for (let s = 0; s < 5; s++) {
      a.request(Array.from({ length: 7 }, (_, i) => req(`${msgs[(i * s) % 5]} ${'x'.repeat(s)}`)));
      out.push(...a.drainLabels().map((l) => `${l.caption}=${l.label}`));
    }
    return out;
  };
  assert.equal(run(), run());
});

test.run();
