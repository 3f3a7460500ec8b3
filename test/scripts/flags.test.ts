/** scripts/flags.ts: command-line flags from a core/schema.ts schema. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from '../../core/schema.ts';
import { flagHelp, flagName, parseFlags, UsageError } from '../../scripts/flags.ts';

const S = {
  maxSteps: { type: 'int', default: 10, min: 1, doc: 'Steps.' },
  lr: { type: 'number', default: 0.1, min: -1, doc: 'Rate.' },
  greedy: { type: 'boolean', default: false, doc: 'Greedy.' },
  mode: { type: 'enum', values: ['a', 'b'], default: 'a', doc: 'Mode.' },
  out: { type: 'string', default: null, nullable: true, doc: 'File.' },
  options: { type: 'record', default: {}, doc: 'JSON.' },
  hidden: { type: 'int[]', default: [4], min: 1, doc: 'Widths.' },
  tags: { type: 'string[]', default: [], nonEmpty: true, doc: 'Tags.' },
} as const satisfies Schema;

const err = (argv: string[]) => { try { parseFlags(argv, S); } catch (e) { assert.instance(e, UsageError); return (e as Error).message; } throw new Error('no error'); };

test('defaults, kebab-case names, = and space forms, booleans and --no-, JSON, int lists, negative numbers', () => {
  assert.is(flagName('maxSteps'), 'max-steps');
  const d = parseFlags([], S);
  assert.equal(d.values, { maxSteps: 10, lr: 0.1, greedy: false, mode: 'a', out: null, options: {}, hidden: [4], tags: [] });
  assert.is(d.given.size, 0);
  const p = parseFlags(['run1', '--max-steps', '5', '--lr=-0.5', '--greedy', '--mode', 'b', '--options', '{"x":1}', '--hidden', '8,16', '--tags', 'a, b', 'run2'], S);
  assert.equal(p.values, { maxSteps: 5, lr: -0.5, greedy: true, mode: 'b', out: null, options: { x: 1 }, hidden: [8, 16], tags: ['a', 'b'] });
  assert.equal(p.positionals, ['run1', 'run2']);
  assert.equal([...p.given].sort(), ['greedy', 'hidden', 'lr', 'maxSteps', 'mode', 'options', 'tags']);
  assert.is(parseFlags(['--greedy', '--no-greedy'], S).values.greedy, false);
  assert.is(parseFlags(['--lr', '-2e-1'], S).values.lr, -0.2);
  assert.ok(parseFlags(['-h'], S).help);
});

test('errors name the flag, the bad value and what is valid', () => {
  assert.match(err(['--max-step', '3']), /unknown flag --max-step \(did you mean --max-steps\?\)/);
  assert.match(err(['--max-steps', 'x']), /--max-steps must be an integer >= 1, got "x"/);
  assert.match(err(['--max-steps', '0']), /--max-steps must be an integer >= 1, got "0"/);
  assert.match(err(['--max-steps']), /--max-steps needs a value: an integer >= 1/);
  assert.match(err(['--mode', 'c']), /--mode must be one of 'a', 'b', got "c"/);
  assert.match(err(['--options', '{x}']), /--options must be a JSON object/);
  assert.match(err(['--options', '[1]']), /--options must be an object/);
  assert.match(err(['--hidden', '8,,2']), /--hidden must be an array of integers >= 1/);
  assert.match(err(['--greedy=yes']), /--greedy must be true or false/);
  assert.match(err(['--tags', 'a,,b']), /--tags must be an array of non-empty strings/);
});

test('flagHelp: one line per flag with its doc and default', () => {
  const h = flagHelp(S);
  assert.match(h, /--max-steps N\s+Steps\. \(default 10\)/);
  assert.match(h, /--mode a\|b\s+Mode\. \(default "a"\)/);
  assert.match(h, /--greedy\s+Greedy\.\n/);
  assert.is(h.split('\n').length, Object.keys(S).length);
});

test.run();
