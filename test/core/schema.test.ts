import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, describeSchema, parse, parseOption, type Infer, type Schema } from '../../core/schema.ts';

const INNER = {
  p: { type: 'number', default: 0, min: -1, max: 1, doc: 'strength' },
  mode: { type: 'enum', values: ['reweight', 'thr-only'], default: 'reweight', doc: 'mode' },
} as const satisfies Schema;

const OUTER = {
  lossType: { type: 'enum', values: ['grpo', 'dapo'], default: 'dapo', doc: 'aggregation' },
  epochs: { type: 'int', default: 1, min: 1, doc: 'epochs' },
  lr: { type: 'number', default: 3e-4, min: 0, exclusiveMin: true, doc: 'learning rate' },
  threshold: { type: 'number', default: null, nullable: true, doc: 'threshold or null' },
  hidden: { type: 'int[]', default: [64, 64], min: 1, doc: 'widths' },
  dir: { type: 'string', default: 'runs', nonEmpty: true, doc: 'dir' },
  thr: { type: 'object', schema: INNER, doc: 'thr' },
  judge: {
    type: 'union', default: 'rubric', doc: 'judge',
    variants: {
      rubric: { noise: { type: 'number', default: 0, min: 0, max: 1, doc: 'flip rate' } },
      llm: { model: { type: 'string', default: 'judge', doc: 'model name' } },
    },
  },
} as const satisfies Schema;

type Outer = Infer<typeof OUTER>;

test('fills defaults, keeps literal types', () => {
  const c: Outer = parse(OUTER, {}, 'learner');
  const mode: 'reweight' | 'thr-only' = c.thr.mode;
  assert.is(mode, 'reweight');
  assert.is(c.lossType, 'dapo');
  assert.equal(c.hidden, [64, 64]);
  assert.is(c.threshold, null);
  assert.equal(c.judge, { kind: 'rubric', noise: 0 });
  if (c.judge.kind === 'llm') { const m: string = c.judge.model; assert.ok(m); }
});

test('errors name the dotted key, the value and what is valid', () => {
  assert.throws(() => parse(OUTER, { thr: { p: 3 } }, 'learner'), (e: Error) => e instanceof ConfigError && /'learner\.thr\.p' must be a number >= -1 and <= 1, got 3/.test(e.message));
  assert.throws(() => parse(OUTER, { epoch: 2 }, 'learner'), (e: Error) => /unknown config key 'learner\.epoch' \(did you mean 'learner\.epochs'\?\)/.test(e.message));
  assert.throws(() => parse(OUTER, { lr: 0 }, 'learner'), /must be a number > 0/);
  assert.throws(() => parse(OUTER, { judge: { kind: 'llmm' } }, 'rewards'), /'rewards\.judge\.kind' must be one of 'rubric', 'llm', got "llmm" \(did you mean 'llm'\?\)/);
  assert.throws(() => parse(OUTER, { judge: { kind: 'llm', noise: 1 } }, 'rewards'), /unknown config key 'rewards\.judge\.noise'/);
  assert.throws(() => parse(OUTER, { hidden: [0] }), /'hidden' must be an array of integers >= 1/);
});

test('describeSchema lists every option with its default and doc', () => {
  const rows = describeSchema(OUTER, 'learner');
  const keys = rows.map((r) => r.key);
  assert.ok(keys.includes('learner.thr.p'));
  assert.ok(keys.includes('learner.judge.kind'));
  assert.is(rows.find((r) => r.key === 'learner.epochs')!.default, '1');
});

test('required options, unknown spec types, one spec on its own, union keys', () => {
  const S = { id: { type: 'string', default: null, nonEmpty: true, required: true, doc: 'the env id' } } as const satisfies Schema;
  assert.equal(parse(S, { id: 'x' }, 'env'), { id: 'x' });
  assert.throws(() => parse(S, {}, 'env'), /config key 'env\.id' is required: a non-empty string \(the env id\)/);
  assert.is(describeSchema(S, 'env')[0]!.default, '(required)');
  const typo = { n: { type: 'integer', default: 1, doc: '' } } as unknown as Schema;
  assert.throws(() => parse(typo, {}), (e: Error) => e instanceof ConfigError && /option 'n' declares type "integer"; valid types: int, number, boolean, enum, string, int\[\], string\[\], object, record, union/.test(e.message));
  assert.throws(() => describeSchema(typo), /declares type "integer"/);
  assert.equal(parseOption(OUTER.judge, { kind: 'llm' }, 'rewards.judge'), { kind: 'llm', model: 'judge' });
  assert.throws(() => parseOption(OUTER.judge, { kind: 'rubric', nois: 1 }, 'rewards.judge'), /unknown config key 'rewards\.judge\.nois' \(did you mean 'rewards\.judge\.noise'\?\)\. Valid keys of 'rewards\.judge': kind, noise/);
});

test.run();
