/**
 * The control judges: novelty (every caption labelled 1: a count-based bonus) and shuffled labels (the
 * inner judge's labels reassigned across captions, as documented in rewards/judges/controls.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Annotator, IntrinsicRewarder, NoveltyJudge, RubricJudge, ShuffledJudge, captionKey, createJudge,
  validateJudgeConfig, validateRewardsConfig, type AnnotationRequest, type Judge, type JudgeResult, type RubricJudgeConfig,
  type ShuffledJudgeConfig,
} from '../../rewards/index.ts';
import { hashUniform } from '../../rewards/hash.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const msgs = ['You pick up the red key.', 'You bump into a wall.', 'You open the door.', 'You move north.', 'You reach the goal!'];

test('config: novelty and shuffled validate, idempotently; bad keys and inner kinds are named', () => {
  assert.equal(validateJudgeConfig({ kind: 'novelty' }), { kind: 'novelty' });
  const s = validateRewardsConfig({ judge: { kind: 'shuffled', seed: 3 } }).judge as ShuffledJudgeConfig;
  assert.equal(s, { kind: 'shuffled', seed: 3, inner: { kind: 'rubric', noise: 0, latencyMs: 0, seed: 0 } });
  assert.equal(validateJudgeConfig(s), s);
  const llm = validateJudgeConfig({ kind: 'shuffled', inner: { kind: 'llm', baseUrl: 'http://127.0.0.1:9/v1' } }) as ShuffledJudgeConfig;
  assert.is((llm.inner as { maxResponseBytes: number }).maxResponseBytes, 1_048_576);
  assert.throws(() => validateJudgeConfig({ kind: 'novelty', label: 1 }), /unknown config key 'rewards\.judge\.label'/);
  assert.throws(() => validateJudgeConfig({ kind: 'shuffled', sed: 1 }), /'rewards\.judge\.sed'.*did you mean 'rewards\.judge\.seed'/);
  assert.throws(() => validateJudgeConfig({ kind: 'shuffled', inner: { kind: 'rubric', noize: 1 } }), /unknown config key 'rewards\.judge\.inner\.noize'/);
  assert.throws(() => validateJudgeConfig({ kind: 'shuffled', inner: { kind: 'perceptual' } }), /'rewards\.judge\.inner\.kind' must be 'rubric', 'llm' or a plug-in judge: 'perceptual' cannot be shuffled/);
  assert.throws(() => validateJudgeConfig({ kind: 'shuffled', inner: { kind: 'novelty' } }), /'novelty' cannot be shuffled/);
});

test('novelty: every caption labelled 1 without any call; the reward is the count-based bonus c_int·N(m)^(−β)', async () => {
  const judge = await createJudge(validateJudgeConfig({ kind: 'novelty' }));
  assert.ok(judge instanceof NoveltyJudge);
  const a = new Annotator(judge, { cacheDir: null });
  a.request(msgs.map(req));
  const labels = a.drainLabels(); // synchronous: labelled inside request()
  assert.equal(labels.map((l) => l.label), [1, 1, 1, 1, 1]);
  const rewarder = new IntrinsicRewarder({ judge: { kind: 'novelty' }, cInt: 0.4, cExt: 10, beta: 3 });
  rewarder.update(labels);
  const ep = ['You move north.', 'You move north.', '', 'You bump into a wall.', 'You move north.'];
  const c = rewarder.combine(ep, [0, 0, 0, 0, 1]);
  const want = [0.4, 0.4 / 8, 0, 0.4, 0.4 / 27];
  want.forEach((w, t) => assert.ok(Math.abs(c.intrinsic[t]! - w) < 1e-6, `step ${t}: ${c.intrinsic[t]} vs ${w}`));
  assert.ok(Math.abs(c.rewards[4]! - (10 + 0.4 / 27)) < 1e-5);
  assert.equal(await judge.compare([[req('a'), req('b')]]), [{ ok: true, preferred: 0.5 }]);
});

/** A sync inner judge with a known label per caption: 1 with probability 0.3 by a hash of the caption. */
class HashJudge implements Judge {
  readonly kind = 'hash'; readonly id = 'hash-v1'; calls = 0;
  labelOf(c: string): number { return hashUniform(c, 99) < 0.3 ? 1 : 0; }
  labelSync(items: AnnotationRequest[]): JudgeResult[] { this.calls++; return items.map((i) => ({ ok: true, label: this.labelOf(i.caption) })); }
  async label(items: AnnotationRequest[]) { return this.labelSync(items); }
  async compare() { return []; }
}

const shuffledConfig = (seed: number): ShuffledJudgeConfig => ({ kind: 'shuffled', seed, inner: { kind: 'rubric', noise: 0, latencyMs: 0, seed: 0 } });

test('shuffled: exactly the documented draw — caption c gets pool[⌊hashUniform(key of c, seed)·n⌋] of the inner labels so far', () => {
  const inner = new HashJudge();
  const judge = new ShuffledJudge(inner, shuffledConfig(7));
  const items = Array.from({ length: 300 }, (_, i) => req(`caption ${i}`));
  const got: number[] = [];
  for (let i = 0; i < items.length; i += 13) got.push(...judge.labelSync!(items.slice(i, i + 13)).map((r) => (r as { label: number }).label));
  // independent re-implementation of the definition
  const pool: number[] = [];
  const want = items.map((it) => { pool.push(inner.labelOf(it.caption)); return pool[Math.floor(hashUniform(it.key, 7) * pool.length)]!; });
  assert.equal(got, want);
});

test('shuffled: same seed and order → same labels; another seed → others; marginal kept, caption→label relation gone', () => {
  const items = Array.from({ length: 4000 }, (_, i) => req(`You move ${i}.`));
  const run = (seed: number) => {
    const inner = new HashJudge();
    const j = new ShuffledJudge(inner, shuffledConfig(seed));
    return { labels: j.labelSync!(items).map((r) => (r as { label: number }).label), truth: items.map((i) => inner.labelOf(i.caption)) };
  };
  const a = run(1), b = run(1), c = run(2);
  assert.equal(a.labels, b.labels);
  assert.not.equal(a.labels, c.labels);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const p = mean(a.truth);
  assert.ok(Math.abs(mean(a.labels) - p) < 0.03, `marginal ${mean(a.labels)} vs ${p}`);
  // independence: agreement ≈ p² + (1 − p)² (≈ 0.58 at p = 0.3), far from the inner judge's 1
  const agree = mean(a.labels.map((l, i) => (l === a.truth[i] ? 1 : 0)));
  assert.ok(Math.abs(agree - (p * p + (1 - p) * (1 - p))) < 0.03, `agreement ${agree}`);
  // among truly helpful captions the shuffled label is helpful about as often as overall (no information)
  const helpful = a.labels.filter((_, i) => a.truth[i] === 1);
  assert.ok(Math.abs(mean(helpful) - p) < 0.05, `P(label=1 | helpful) ${mean(helpful)} vs ${p}`);
});

test('shuffled through the annotator: sync with a sync inner judge, no label cache, errors pass through, pairs drawn too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-shuffled-'));
  try {
    const judge = await createJudge(validateJudgeConfig({ kind: 'shuffled', seed: 5 }));
    assert.ok(judge instanceof ShuffledJudge);
    assert.is(judge.id, 'shuffled-v1-seed5-rubric-v2-noise0-seed0');
    assert.is(judge.cacheable, false);
    const a = new Annotator(judge, { cacheDir: dir });
    a.request(msgs.map(req));
    assert.is(a.drainLabels().length, 5);
    await a.close();
    assert.equal(readdirSync(dir), [], 'no cache file for a judge whose answers depend on history');
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const failing: Judge = { kind: 'x', id: 'x', label: async (items) => items.map((_, i) => (i === 1 ? { ok: false, error: 'http_5xx' } : { ok: true, label: 1 })), compare: async (p) => p.map(() => ({ ok: true, preferred: 1 })) };
  const s = new ShuffledJudge(failing, shuffledConfig(0));
  assert.equal(await s.label([req('a'), req('b'), req('c')]), [{ ok: true, label: 1 }, { ok: false, error: 'http_5xx' }, { ok: true, label: 1 }]);
  assert.equal(await s.compare([[req('a'), req('b')], [req('c'), req('d')]]), [{ ok: true, preferred: 1 }, { ok: true, preferred: 1 }]);
  assert.is(s.labelSync, undefined, 'an async inner judge makes the wrapper async too');
  const rubric = new RubricJudge(validateJudgeConfig({ kind: 'rubric' }) as RubricJudgeConfig);
  const sp = new ShuffledJudge(rubric, shuffledConfig(0));
  const prefs = sp.compareSync!([[req(msgs[0]!), req(msgs[1]!)], [req(msgs[1]!), req(msgs[2]!)], [req(msgs[3]!), req(msgs[3]!)]]);
  assert.ok(prefs.every((p) => p.ok && [0, 0.5, 1].includes(p.preferred)));
});

test.run();
