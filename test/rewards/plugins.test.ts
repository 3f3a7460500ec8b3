import { test } from 'uvu';
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import * as assert from 'uvu/assert';
import {
  Annotator, IntrinsicRewarder, captionKey, createAnnotator, createJudge, createRewardModel, registerJudge,
  registerRewardModel, unregisterJudge, unregisterRewardModel, validateRewardsConfig, validateJudgeConfig,
  type AnnotationLabel, type AnnotationRequest, type Judge, type JudgeResult, type PluginConfig, type RewardModel,
  type RewardModelMetrics, type RewardModelState, judgeKinds,
} from '../../rewards/index.ts';

const MODULE = 'test/rewards/fixtures/length-plugins.ts'; // relative to process.cwd(), the repo root

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const msgs = ['You pick up the red key.', 'You bump into a wall.', 'You open the door.', 'You move north.'];

/** A user judge: helpful iff the caption is longer than `minLength`. */
interface LengthConfig extends PluginConfig { kind: 'length'; minLength: number }
const validateLength = (o: Record<string, unknown>, path: string): LengthConfig => {
  for (const k of Object.keys(o)) if (k !== 'kind' && k !== 'minLength') throw new Error(`${path}: unknown key '${k}'. Valid keys: kind, minLength`);
  const minLength = o.minLength ?? 18;
  if (typeof minLength !== 'number' || minLength < 0) throw new Error(`${path}.minLength: expected a number >= 0, got ${JSON.stringify(minLength)}`);
  return { kind: 'length', minLength };
};
const lengthJudge = (c: LengthConfig): Judge => {
  const answer = (items: AnnotationRequest[]): JudgeResult[] => items.map((i) => ({ ok: true, label: i.caption.length > c.minLength ? 1 : 0 }));
  return {
    kind: 'length', id: `min${c.minLength}`,
    label: async (items) => answer(items), labelSync: answer,
    compare: async (pairs) => pairs.map(([a, b]) => ({ ok: true, preferred: a.caption.length >= b.caption.length ? 0 : 1 })),
  };
};

function withPlugin(name: string, fn: () => Promise<void> | void) {
  test(name, async () => {
    registerJudge('length', lengthJudge, { validate: validateLength });
    try { await fn(); } finally { unregisterJudge('length'); }
  });
}

withPlugin('a registered judge kind validates with its own validate, and unknown kinds name it', () => {
  const c = validateRewardsConfig({ judge: { kind: 'length' } });
  assert.equal(c.judge, { kind: 'length', minLength: 18 });
  assert.equal(validateRewardsConfig(c).judge, c.judge); // idempotent
  assert.throws(() => validateRewardsConfig({ judge: { kind: 'length', minLen: 3 } }), /rewards\.judge: unknown key 'minLen'/);
  assert.throws(() => validateRewardsConfig({ judge: { kind: 'lenght' } }), /'rewards\.judge\.kind' must be one of 'rubric', 'llm', 'perceptual', 'novelty', 'shuffled', 'length', got "lenght" \(did you mean 'length'\?\)/);
});

test('after unregistering, the kind is rejected again', () => {
  assert.throws(() => validateJudgeConfig({ kind: 'length' }), /must be one of 'rubric', 'llm', 'perceptual', 'novelty', 'shuffled', got "length"/);
});

withPlugin('a plug-in judge labels through the annotator (sync and async), cache keyed by its own id', async () => {
  for (const sync of ['auto', 'never'] as const) {
    const a = await createAnnotator({ judge: { kind: 'length', minLength: 20 }, annotator: { cacheDir: null, sync } });
    assert.is(a.judge.kind, 'length');
    assert.is(a.judge.id, 'length-min20');
    a.request(msgs.map(req));
    await a.idle();
    assert.equal(a.drainLabels().map((l) => [l.caption, l.label]), msgs.map((m) => [m, m.length > 20 ? 1 : 0]));
    assert.is(a.metrics().judgeErrorsTotal, 0);
    await a.close();
  }
});

test("a plug-in judge's factory is given the env context createAnnotator was given", async () => {
  const seen: unknown[] = [];
  registerJudge('ctx', (_c, options) => {
    seen.push(options.envContext);
    return { kind: 'ctx', id: 'v1', label: async (items) => items.map(() => ({ ok: true, label: 1 })), compare: async () => [] };
  });
  try {
    const envContext = { id: 'MyEnv', family: 'tools', goal: 'book a table' } as const;
    const a = await createAnnotator({ judge: { kind: 'ctx' }, annotator: { cacheDir: null } }, { envContext });
    await a.close();
    assert.equal(seen, [envContext]);
  } finally { unregisterJudge('ctx'); }
});

// Each faulty judge is contained: its items count as errors of the given kind, nothing throws, and the
// annotator keeps working (the failed items are retried with backoff).
const faulty: Array<[string, Partial<Judge>, string]> = [
  ['label() throws', { label: () => { throw new Error('boom'); } }, 'exception'],
  ['label() rejects', { label: async () => { throw new Error('boom'); } }, 'exception'],
  ['labelSync() throws', { labelSync: () => { throw new Error('boom'); } }, 'exception'],
  ['label() returns a non-array', { label: async () => 'yes' as never }, 'exception'],
  ['label() returns too few results', { label: async (items) => items.slice(1).map(() => ({ ok: true as const, label: 1 })) }, 'exception'],
  ['label() names an unknown error kind', { label: async (items) => items.map(() => ({ ok: false, error: 'oops' }) as never) }, 'exception'],
  ['label() hangs', { label: () => new Promise<never>(() => {}) }, 'timeout'],
];
for (const [name, override, kind] of faulty) {
  test(`a plug-in judge whose ${name} is contained and counted as ${kind}`, async () => {
    let calls = 0;
    registerJudge('flaky', () => {
      const base: Judge = { kind: 'flaky', id: 'v1', label: async (items) => items.map(() => ({ ok: true, label: 1 })), compare: async () => [] };
      const j = { ...base, ...override };
      const label = j.label.bind(j);
      j.label = (items) => { calls++; return calls > 1 ? base.label(items) : label(items); }; // healthy after its first call
      if (j.labelSync) { const ls = j.labelSync; j.labelSync = (items) => { calls++; return calls > 1 ? items.map(() => ({ ok: true, label: 1 })) : ls(items); }; }
      return j;
    }, { timeoutMs: 30 });
    try {
      const a = await createAnnotator({ judge: { kind: 'flaky' }, annotator: { cacheDir: null, retry: { backoffMs: 5, maxBackoffMs: 5 } } });
      a.request(msgs.map(req));
      await a.idle();
      const m = a.metrics();
      const wrong = name.includes('too few') ? 1 : msgs.length;
      assert.is(m.judgeErrors[kind as 'exception'], wrong, JSON.stringify(m.judgeErrors));
      assert.is(m.judgeErrorsTotal, wrong);
      assert.is(a.drainLabels().length, msgs.length - wrong);
      assert.is(a.metrics().retriesPending, wrong);
      // the failed items are retried after a backoff, without being requested again, and the judge now answers
      const t0 = Date.now();
      while (a.metrics().captionsLabelled < msgs.length && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
      assert.is(a.drainLabels().length, wrong);
      assert.is(a.metrics().retries, wrong);
      await a.close();
    } finally { unregisterJudge('flaky'); }
  });
}

test('a plug-in judge without compare() in pair mode counts exceptions; a failing close() is contained', async () => {
  registerJudge('nocompare', () => ({ kind: 'nocompare', id: 'x', label: async () => [], close: async () => { throw new Error('close'); } }) as unknown as Judge);
  try {
    const a = await createAnnotator({ judge: { kind: 'nocompare' }, annotator: { cacheDir: null, mode: 'pair' } });
    a.request(msgs.map(req));
    await a.idle();
    assert.is(a.metrics().judgeErrors.exception, 4);
    await a.close();
  } finally { unregisterJudge('nocompare'); }
});

test('a plug-in judge factory that throws or returns a non-judge fails at build, naming the kind', async () => {
  registerJudge('broken', () => { throw new Error('no weights'); });
  registerJudge('empty', () => ({}) as Judge);
  try {
    let err = '';
    try { await createJudge(validateJudgeConfig({ kind: 'broken' })); } catch (e) { err = (e as Error).message; }
    assert.match(err, /plug-in judge 'broken' failed to build: no weights/);
    try { await createJudge({ kind: 'empty' }); } catch (e) { err = (e as Error).message; }
    assert.match(err, /plug-in judge 'empty': the judge has no label\(items\) method/);
  } finally { unregisterJudge('broken'); unregisterJudge('empty'); }
});

test('registration errors name the problem', () => {
  assert.throws(() => registerJudge('rubric', lengthJudge as never), /'rubric' is a built-in judge kind/);
  assert.throws(() => registerRewardModel('ranking', (() => null) as never), /'ranking' is a built-in reward model kind/);
  assert.throws(() => registerJudge('has space', lengthJudge as never), /bad kind "has space"/);
  assert.throws(() => registerJudge('nofn', 3 as never), /factory of 'nofn' must be a function/);
  assert.throws(() => registerJudge('t', lengthJudge as never, { timeoutMs: -1 }), /timeoutMs/);
  registerJudge('dup', lengthJudge as never);
  try {
    assert.throws(() => registerJudge('dup', lengthJudge as never), /'dup' is already registered \(pass \{ overwrite: true \}/);
    registerJudge('dup', lengthJudge as never, { overwrite: true });
  } finally { unregisterJudge('dup'); }
});

test('an unknown kind reaching the factory (e.g. registered in another thread only) is a clear error', async () => {
  assert.throws(() => createRewardModel({ kind: 'elsewhere' }), /'elsewhere' is not a reward model kind here.*retrieval, classification, ranking.*every thread/);
  let err = '';
  try { await createJudge({ kind: 'elsewhere' }); } catch (e) { err = (e as Error).message; }
  assert.match(err, /'elsewhere' is not a judge kind here/);
});

// ───────────── reward models ─────────────

/** A user reward model: a running mean label per caption length (a stand-in for a real one). */
interface LenModelConfig extends PluginConfig { kind: 'by-length'; prior: number }
class ByLength implements RewardModel {
  readonly kind = 'by-length';
  private sums = new Map<number, [number, number]>();
  private trained = 0;
  constructor(readonly config: LenModelConfig) {}
  score(captions: string[]) {
    return Float32Array.from(captions, (c) => { const s = this.sums.get(c.length); return c === '' ? 0 : s ? s[0] / s[1] : this.config.prior; });
  }
  update(labels: AnnotationLabel[]): RewardModelMetrics {
    for (const l of labels) { const s = this.sums.get(l.caption.length) ?? [0, 0]; s[0] += l.label; s[1]++; this.sums.set(l.caption.length, s); this.trained++; }
    return this.metrics();
  }
  metrics(): RewardModelMetrics { return { trained: this.trained, heldOut: 0, heldOutAccuracy: NaN, prequentialAccuracy: NaN, ignored: 0, loss: NaN }; }
  save() { return { kind: this.kind, version: 1 as const, sums: [...this.sums] }; }
  load(state: RewardModelState) { this.sums = new Map(state.sums as Array<[number, [number, number]]>); }
  dispose() {}
}

test('a registered reward model validates, trains and scores through IntrinsicRewarder; its annotator mode is its own', () => {
  registerRewardModel('by-length', (c: LenModelConfig) => new ByLength(c), {
    validate: (o, path) => {
      for (const k of Object.keys(o)) if (k !== 'kind' && k !== 'prior') throw new Error(`${path}: unknown key '${k}'. Valid keys: kind, prior`);
      return { kind: 'by-length' as const, prior: typeof o.prior === 'number' ? o.prior : 0 };
    },
    annotatorMode: 'pair',
  });
  try {
    const c = validateRewardsConfig({ model: { kind: 'by-length', prior: 0.25 } });
    assert.is(c.annotator.mode, 'pair');
    assert.throws(() => validateRewardsConfig({ model: { kind: 'by-length', priors: 1 } }), /rewards\.model: unknown key 'priors'/);
    assert.throws(() => validateRewardsConfig({ model: { kind: 'bylength' } }), /must be one of 'retrieval', 'classification', 'ranking', 'by-length', got "bylength"/);
    const r = new IntrinsicRewarder(c);
    assert.is(r.model.kind, 'by-length');
    const m = r.update([{ key: 'a', caption: 'abc', label: 1 }, { key: 'b', caption: 'xyz', label: 0 }]);
    assert.is(m.trained, 2);
    assert.is(m.errors, 0);
    const out = r.combine(['abc', 'abcd', ''], [0, 0, 1]);
    assert.equal([...out.intrinsic].map((x) => +x.toFixed(4)), [0.2, 0.1, 0]); // cInt 0.4 × (0.5, prior 0.25, 0)
    const saved = r.save();
    const r2 = new IntrinsicRewarder(c);
    r2.load(saved);
    assert.equal([...r2.model.score(['abc'])], [0.5]);
  } finally { unregisterRewardModel('by-length'); }
});

test('a faulty plug-in reward model is contained: zeros for bad scores, errors counted, save errors named', () => {
  let mode = 'throw';
  registerRewardModel('faulty', () => ({
    kind: 'faulty',
    score: (captions: string[]) => {
      if (mode === 'throw') throw new Error('score boom');
      if (mode === 'short') return new Float32Array(1);
      return Float32Array.from(captions, () => NaN);
    },
    update: () => { throw new Error('update boom'); },
    metrics: () => { throw new Error('metrics boom'); },
    save: () => { throw new Error('disk full'); },
    load: () => {},
    dispose: () => { throw new Error('dispose boom'); },
  }));
  try {
    const r = new IntrinsicRewarder({ model: { kind: 'faulty' } });
    for (const m of ['throw', 'short', 'nan']) {
      mode = m;
      const out = r.combine(['a', 'b'], [1, 2]);
      assert.equal([...out.rewards], [10, 20], m); // intrinsic 0, extrinsic untouched
    }
    const metrics = r.update([{ key: 'a', caption: 'a', label: 1 }]);
    assert.is(metrics.errors, 4);
    assert.ok(Number.isNaN(metrics.loss));
    assert.is(r.model.metrics().errors, 5);
    assert.throws(() => r.save(), /plug-in reward model 'faulty': save\(\) failed: disk full/);
    r.dispose();
    assert.is(r.model.metrics().errors, 7);
  } finally { unregisterRewardModel('faulty'); }
});

test('a plug-in reward model factory that throws fails at build, naming the kind', () => {
  registerRewardModel('nobuild', () => { throw new Error('bad prior'); });
  try {
    assert.throws(() => new IntrinsicRewarder({ model: { kind: 'nobuild' } }), /plug-in reward model 'nobuild' failed to build: bad prior/);
  } finally { unregisterRewardModel('nobuild'); }
});

test('plug-in judges work with a plain Annotator too', async () => {
  registerJudge('length', lengthJudge, { validate: validateLength });
  try {
    const a = new Annotator(await createJudge(validateJudgeConfig({ kind: 'length', minLength: 0 })), { cacheDir: null });
    a.request([req('x')]);
    assert.equal(a.drainLabels().map((l) => l.label), [1]);
  } finally { unregisterJudge('length'); }
});

// ───────────── plug-in modules (other threads) ─────────────

test('a config naming a plug-in module loads it where the kind is unknown, and keeps the path', async () => {
  assert.not.ok(judgeKinds().includes('mod-length'));
  const c = validateRewardsConfig({ judge: { kind: 'mod-length', plugin: MODULE, minLength: 12 }, model: { kind: 'mod-constant', plugin: MODULE } });
  const abs = resolve(process.cwd(), MODULE);
  assert.equal(c.judge, { kind: 'mod-length', minLength: 12, plugin: abs });
  assert.equal(c.model, { kind: 'mod-constant', value: 1, plugin: abs });
  assert.equal(validateRewardsConfig(c), c);
  const a = await createAnnotator({ ...c, annotator: { cacheDir: null } });
  a.request(msgs.map(req));
  assert.equal(a.drainLabels().map((l) => l.label), msgs.map((m) => (m.length > 12 ? 1 : 0)));
  assert.throws(() => validateRewardsConfig({ model: { kind: 'nope', plugin: 'test/rewards/fixtures/missing.ts' } }), /rewards\.model\.plugin: could not load plug-in module 'test\/rewards\/fixtures\/missing\.ts'/);
  assert.throws(() => validateRewardsConfig({ model: { kind: 'nope', plugin: 'test/rewards/fixtures/not-a-plugin.ts' } }), /must default-export a function.*found exports: notAPlugin/);
});

test('a reward model plug-in module works in a worker thread, where nothing was registered in code', async () => {
  const model = { kind: 'mod-constant', plugin: MODULE, value: 0.5 };
  const out = await new Promise<{ before: string[]; kind: string; scores: number[]; after: string[] }>((res, rej) => {
    const w = new Worker(new URL('./fixtures/worker-entry.mjs', import.meta.url), {
      workerData: { entry: new URL('./fixtures/plugin-worker.ts', import.meta.url).href, model },
    });
    w.once('message', (m) => { void w.terminate(); res(m); });
    w.once('error', rej);
  });
  assert.not.ok(out.before.includes('mod-constant'));
  assert.is(out.kind, 'mod-constant');
  assert.equal(out.scores, [0.5, 0]);
  assert.ok(out.after.includes('mod-constant'));
});

test.run();
