import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeEnvSync, checkEnv, defaultTokenizer as tok, calc, lookup, ToolError, KNOWLEDGE_BASE, type TokenEnv, type StepResult } from '../../envs/index.ts';

for (const [id, opts] of [['ToolCalc-v0', {}], ['ToolCalc-v0', { digits: 3, ops: 3, split: 'test' }], ['ToolLookup-v0', {}], ['ToolMix-v0', { maxTurns: 1 }]] as const) {
  test(`${id} ${JSON.stringify(opts)} passes checkEnv (incl. demonstration replay)`, () => {
    const report = checkEnv(makeEnvSync(id, opts), { makeAnother: () => makeEnvSync(id, opts) });
    assert.ok(report.ok, JSON.stringify(report.results.filter((r) => !r.ok)));
  });
}

/** Types `text` token by token; stops at the end of the episode. Returns every step's result. */
function type(env: TokenEnv, text: string): StepResult<Int32Array>[] {
  const out: StepResult<Int32Array>[] = [];
  for (const id of tok.encode(text)) {
    const s = env.step(id);
    out.push(s);
    if (s.terminated || s.truncated) break;
  }
  return out;
}

test('calculator and lookup tools', () => {
  assert.is(calc('37*24+5'), '893');
  assert.is(calc('(2+3)*-4'), '-20');
  assert.is(calc('7/2'), '3.5');
  assert.throws(() => calc('1/0'), /division by zero/);
  try { calc('1/0'); } catch (err) { assert.ok(err instanceof ToolError); }
  assert.throws(() => calc('2+'), /unexpected end/);
  assert.throws(() => calc('2+x'), /unexpected 'x'/);
  const [name, attrs] = [...KNOWLEDGE_BASE.entries()][0];
  assert.is(lookup(`${name}.age`), attrs.age);
  assert.throws(() => lookup('nobody.age'), /no entry 'nobody'/);
  assert.throws(() => lookup(`${name}.height`), /no attribute/);
});

test('a correct call → result appended to the context → correct answer: every component 1', () => {
  const env = makeEnvSync<TokenEnv>('ToolCalc-v0');
  const r = env.reset({ seed: 3 });
  const prompt = r.info.prompt as string;
  const expr = prompt.slice(0, -2);
  const steps = type(env, `<call>calc(${expr})</call>`);
  const callStep = steps[steps.length - 1];
  assert.is(callStep.info.inserted, `<result>${calc(expr)}</result>`);
  assert.ok(tok.decode(callStep.obs).endsWith(`</call><result>${calc(expr)}</result>`));
  assert.match(callStep.info.message, /^Called calc/);
  const end = type(env, `<answer>${calc(expr)}</answer>`).pop()!;
  assert.ok(end.terminated && !end.truncated);
  assert.equal(end.info.rewardComponents, { format: 1, tool: 1, args: 1, answer: 1 });
  assert.is(end.reward, 0.25 + 0.25 + 0.25 + 1);
  assert.is(end.info.success, true);
});

test('malformed and unknown calls give an error observation and a format penalty, never an exception', () => {
  const env = makeEnvSync<TokenEnv>('ToolLookup-v0', { maxTurns: 3, maxLength: 200 });
  env.reset({ seed: 8 });
  const demo = env.demonstrate();
  let s = type(env, 'calc 1+1</call>').pop()!;
  assert.is(s.info.inserted, '<error>syntax</error>');
  assert.match(s.info.message, /Malformed/);
  s = type(env, '<call>search(x)</call>').pop()!;
  assert.is(s.info.inserted, '<error>unknown tool</error>');
  s = type(env, demo[0].text).pop()!; // the right call
  assert.is(s.info.inserted, demo[1].text);
  const end = type(env, demo[2].text).pop()!;
  assert.equal(end.info.rewardComponents, { format: -1, tool: 1, args: 1, answer: 1 });
  assert.is(end.info.success, true);
});

test('wrong tool, wrong args, no answer (eos), turn limit', () => {
  const env = makeEnvSync<TokenEnv>('ToolLookup-v0', { maxTurns: 1, maxLength: 200 });
  env.reset({ seed: 2 });
  let s = type(env, '<call>calc(1+1)</call>').pop()!; // a known tool, but not the one this task needs
  assert.is(s.info.inserted, '<result>2</result>');
  s = env.step(tok.eos);
  assert.ok(s.terminated);
  assert.equal(s.info.rewardComponents, { format: 0, tool: 0, args: 0, answer: 0 });
  assert.is(s.reward, 0);
  env.reset({ seed: 2 });
  type(env, '<call>lookup(nobody.age)</call>');
  s = type(env, '<call>lookup(nobody.age)</call>').pop()!;
  assert.ok(s.truncated && !s.terminated);
  assert.match(s.info.message, /Turn limit/);
  assert.equal(s.info.rewardComponents, { format: 0, tool: 1, args: 0, answer: 0 });
});

test('context limit truncates; same seed → same prompt', () => {
  const env = makeEnvSync<TokenEnv>('ToolCalc-v0', { maxLength: 48 });
  const p = env.reset({ seed: 1 }).info.prompt;
  assert.is(env.reset({ seed: 1 }).info.prompt, p);
  let s;
  for (let i = 0; i < 48; i++) { s = env.step(tok.charId('x')); if (s.terminated || s.truncated) break; }
  assert.ok(s!.truncated);
  assert.is(s!.obs.length, 48);
  assert.match(s!.info.message, /Context limit/);
});

test('bad options name the key', () => {
  assert.throws(() => makeEnvSync('ToolCalc-v0', { turns: 2 }), /unknown config key 'turns'.*Valid keys: split, digits, ops, maxTurns/);
  assert.throws(() => makeEnvSync('ToolCalc-v0', { maxLength: 20 }), /'maxLength'/);
});

test.run();
