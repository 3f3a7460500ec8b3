import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Annotator, LabelCache, LruMap, RubricJudge, captionKey, validateAnnotatorConfig, validateJudgeConfig,
  type AnnotationRequest, type AnnotatorConfig, type AnnotatorMetrics, type RubricJudgeConfig,
} from '../../rewards/index.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const rubric = () => new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig);
/** Unique captions; every third one is helpful, so labels are not all equal. */
const unique = (n: number, from = 0) => Array.from({ length: n }, (_, i) =>
  req((i + from) % 3 === 0 ? `You open the door.${' '.repeat(i + from)}` : `You move ${i + from}.`));

test('LruMap: evicts the least recently used, counts, get refreshes, replace does not', () => {
  const evicted: string[] = [];
  const m = new LruMap<string, number>(3, (k) => evicted.push(k));
  m.set('a', 1); m.set('b', 2); m.set('c', 3);
  m.get('a');            // a is now newest: b is the oldest
  m.set('d', 4);
  assert.equal([...m.keys()], ['c', 'a', 'd']);
  m.replace('c', 30);    // keeps c the oldest
  m.set('e', 5);
  assert.equal(evicted, ['b', 'c']);
  assert.is(m.evicted, 2);
  assert.is(m.size, 3);
  assert.is(m.replace('zz', 1), false);
  assert.throws(() => new LruMap(0), /capacity must be an integer >= 1/);
});

test('many unique captions: seen keys and cache stay within their limits, evictions counted', () => {
  const a = new Annotator(rubric(), { cacheDir: null, backlog: 20, maxSeenKeys: 50, cacheMaxEntries: 30 });
  const frequent = req('You reach the goal!');
  let frequentLabels = 0;
  let maxSeen = 0, maxCache = 0;
  for (let b = 0; b < 100; b++) {
    a.request([...unique(10, b * 10), frequent]);
    frequentLabels += a.drainLabels().filter((l) => l.key === frequent.key).length;
    const m = a.metrics();
    maxSeen = Math.max(maxSeen, m.seenKeys);
    maxCache = Math.max(maxCache, m.cacheSize);
  }
  const m = a.metrics();
  assert.ok(maxSeen <= 50, `seenKeys peaked at ${maxSeen}`);
  assert.ok(maxCache <= 30, `cacheSize peaked at ${maxCache}`);
  assert.is(m.seenKeys, 50);
  assert.is(m.cacheSize, 30);
  assert.is(m.captionsUnique, 1001);
  assert.is(m.seenKeysEvicted, 1001 - 50);
  assert.is(m.cacheEvicted, 1001 - 30);
  assert.is(m.captionsLabelled, 1001);
  // a caption requested all the time stays remembered (LRU, not FIFO): labelled once, deduplicated after
  assert.is(frequentLabels, 1);
  assert.is(m.captionsSeen, 1100);
});

test('a forgotten key is served from the cache when the cache still holds it', () => {
  const a = new Annotator(rubric(), { cacheDir: null, backlog: 5, maxSeenKeys: 5, cacheMaxEntries: 100 });
  const items = unique(20);
  for (let i = 0; i < 20; i += 5) a.request(items.slice(i, i + 5));
  assert.is(a.drainLabels().length, 20);
  const calls = a.metrics().judgeCalls;
  a.request([items[0]!]);                      // forgotten by the seen-key LRU, still in the cache
  const [again] = a.drainLabels();
  assert.is(again!.key, items[0]!.key);
  assert.is(a.metrics().cacheHits, 1);
  assert.is(a.metrics().judgeCalls, calls);
  a.request([items[19]!]);                     // still remembered: a duplicate, nothing delivered
  assert.equal(a.drainLabels(), []);
});

test('undrained labels are capped: oldest dropped and counted, their keys requestable again', async () => {
  const a = new Annotator(rubric(), { cacheDir: null, maxUndrainedLabels: 20 });
  const items = unique(100);
  a.request(items);
  let m = a.metrics();
  assert.is(m.labelsPending, 20);
  assert.is(m.labelsDropped, 80);
  assert.is(m.labelsDelivered, 0);
  const got = a.drainLabels();
  assert.equal(got.map((l) => l.key), items.slice(80).map((i) => i.key));
  assert.is(a.metrics().labelsDelivered, 20);
  assert.is(a.metrics().labelsPending, 0);
  // a dropped label is still in the cache; its key was forgotten, so asking again delivers it
  a.request([items[3]!]);
  assert.equal(a.drainLabels().map((l) => l.key), [items[3]!.key]);
  m = a.metrics();
  assert.is(m.cacheHits, 1);
  assert.is(m.captionsUnique, 100);
  await a.close();
});

test('undrained cap in pair mode forgets both items of a dropped pair', () => {
  const a = new Annotator(rubric(), { cacheDir: null, mode: 'pair', batchSize: 2, maxUndrainedLabels: 2 });
  const items = unique(10);
  for (let i = 0; i < 10; i += 2) a.request(items.slice(i, i + 2)); // pairs (0,1) (2,3) … in order
  assert.is(a.metrics().labelsDropped, 3);
  assert.equal(a.drainLabels().map((l) => l.caption), [items[6]!.caption, items[8]!.caption]);
  a.request([items[0]!, items[1]!, items[8]!]); // 0 and 1 were forgotten with their pair; 8 is still known
  assert.equal(a.drainLabels().map((l) => [l.caption, l.pair!.other]), [[items[0]!.caption, items[1]!.caption]]);
  assert.is(a.metrics().captionsLabelled, 12);
});

test('undrained cap also holds for an async judge', async () => {
  const slow = new RubricJudge(validateJudgeConfig({ kind: 'rubric', latencyMs: 1 }) as RubricJudgeConfig);
  const a = new Annotator(slow, { cacheDir: null, batchSize: 7, maxUndrainedLabels: 9 });
  a.request(unique(60));
  await a.idle();
  const m = a.metrics();
  assert.is(m.captionsLabelled, 60);
  assert.is(m.labelsPending, 9);
  assert.is(m.labelsDropped, 51);
  assert.is(a.drainLabels().length, 9);
  await a.close();
});

test('the cache file keeps at most cacheMaxEntries labels, newest kept, across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-bounds-'));
  const stored = () => {
    const f = readdirSync(dir).find((n) => n.endsWith('.json'))!;
    return (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { labels: Array<{ key: string }> }).labels.map((l) => l.key);
  };
  try {
    const items = unique(200);
    const a = new Annotator(rubric(), { cacheDir: dir, cacheMaxEntries: 25 });
    for (let i = 0; i < 200; i += 10) a.request(items.slice(i, i + 10)); // labelled in arrival order
    await a.close();
    assert.equal(stored(), items.slice(175).map((i) => i.key));
    // a lower limit at the next start: the newest entries load, the file is trimmed at the next flush
    const judge = rubric();
    const cache = new LabelCache(dir, judge.id, 10);
    assert.is(cache.size, 10);
    assert.is(cache.evicted, 15);
    assert.ok(cache.get(items[190]!.key));    // touch: 190 becomes the most recent
    assert.is(cache.get(items[180]!.key), undefined);
    cache.set({ key: 'x', caption: 'x', label: 0 });
    await cache.flush();
    const keys = stored();
    assert.is(keys.length, 10);
    assert.equal(keys.slice(-2), [items[190]!.key, 'x']); // recency order survives on disk
    assert.not.ok(keys.includes(items[191]!.key));        // the oldest after the touch was evicted
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// Below the limits nothing changes: the same requests give the same labels and counters whether the
// limits are far away or exactly at the number of distinct items.
// Timings are not behaviour: labelLatencyMs is Date.now() differences, 0 or 1 ms by where a clock tick falls.
const strip = ({ labelsPerSec: _r, labelLatencyMs: _l, ...m }: AnnotatorMetrics) => m;
function run(limits: Partial<AnnotatorConfig>) {
  const a = new Annotator(rubric(), { cacheDir: null, backlog: 40, ...limits });
  const out: string[] = [];
  for (let s = 0; s < 4; s++) {
    a.request([...unique(10, s * 5), ...unique(3)]); // overlapping windows: duplicates across calls
    out.push(...a.drainLabels().map((l) => `${l.caption}=${l.label}`));
  }
  return { out, m: strip(a.metrics()) };
}
test('below the limits behaviour is unchanged', () => {
  const far = run({});
  const atLimit = run({ maxSeenKeys: 40, cacheMaxEntries: 25, maxUndrainedLabels: 10 });
  assert.is(far.m.captionsUnique, 25);
  assert.equal(atLimit.out, far.out);
  assert.equal({ ...atLimit.m }, { ...far.m });
  assert.is(far.m.seenKeysEvicted + far.m.cacheEvicted + far.m.labelsDropped, 0);
});

test('limits are validated', () => {
  const d = validateAnnotatorConfig({});
  assert.equal([d.maxSeenKeys, d.cacheMaxEntries, d.maxUndrainedLabels], [100_000, 100_000, 65_536]);
  assert.is(validateAnnotatorConfig({ backlog: 200_000 }).maxSeenKeys, 200_000);
  assert.throws(() => validateAnnotatorConfig({ backlog: 100, maxSeenKeys: 50 }), /'rewards\.annotator\.maxSeenKeys' must be >= 'rewards\.annotator\.backlog' \(100\)/);
  assert.throws(() => validateAnnotatorConfig({ cacheMaxEntries: 0 }), /'rewards\.annotator\.cacheMaxEntries' must be an integer >= 1, got 0/);
  assert.throws(() => validateAnnotatorConfig({ maxUndrainedLabels: 1.5 }), /'rewards\.annotator\.maxUndrainedLabels' must be an integer >= 1, got 1\.5/);
  assert.equal(validateAnnotatorConfig(d), d);
});

test.run();
