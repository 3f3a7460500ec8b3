import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  makeEnvSync, checkEnv, defaultTokenizer as tok, calc, lookup, ToolError, KNOWLEDGE_BASE, splitOf,
  matchCalls, multisetJaccard, scoreEpisode, toolReward, toolrlScales, TOOL_REWARDS,
  type TokenEnv, type StepResult, type ToolEnv, type ToolMetrics,
} from '../../envs/index.ts';

const CASES = [
  ['ToolCalc-v0', {}], ['ToolCalc-v0', { digits: 3, ops: 3, split: 'test' }], ['ToolLookup-v0', {}], ['ToolMix-v0', { maxTurns: 1 }],
  ['ToolChain-v0', {}], ['ToolChain-v0', { ood: true, digits: 3, ops: 3 }], ['ToolCalc-v0', { ood: true, reward: 'toolrl' }],
  ['ToolMix-v0', { chainFraction: 0.5, ood: true, maxTurns: 3, reward: 'chrf' }], ['ToolMix-v0', { chainFraction: 0.34, split: 'test', reward: 'args' }],
] as const;
for (const [id, opts] of CASES) {
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
const last = (env: TokenEnv, text: string) => type(env, text).pop()!;
const metrics = (s: StepResult<Int32Array>) => s.info.rewardComponents as unknown as ToolMetrics;

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

test('the same seeds give the same problems as before chain and ood existed', () => {
  const prompts = (id: string, o: Record<string, unknown>) => { const e = makeEnvSync<TokenEnv>(id, o); return [0, 1, 2, 3, 4, 5].map((s) => e.reset({ seed: s }).info.prompt); };
  assert.equal(prompts('ToolMix-v0', {}), ['color of runa?', '73*72*53=?', '29*34+32=?', '19*94*57=?', '90+42-74=?', '33+93+96=?']);
  assert.equal(prompts('ToolCalc-v0', {}), ['31+87-48=?', '87-42+73=?', '32+40-85=?', '92*56+72=?', '80*22*53=?', '92*74*20=?']);
  assert.equal(prompts('ToolMix-v0', { split: 'test' }), ['color of kamo?', 'color of dedu?', 'age of movo?', 'color of biri?', '93-29+96=?', 'age of mala?']);
});

test('a correct call → result appended to the context → correct answer: every component right', () => {
  const env = makeEnvSync<TokenEnv>('ToolCalc-v0');
  const r = env.reset({ seed: 3 });
  const expr = (r.info.prompt as string).slice(0, -2);
  const callStep = last(env, `<call>calc(${expr})</call>`);
  assert.is(callStep.info.inserted, `<result>${calc(expr)}</result>`);
  assert.ok(tok.decode(callStep.obs).endsWith(`</call><result>${calc(expr)}</result>`));
  assert.match(callStep.info.message, /^Called calc/);
  const end = last(env, `<answer>${calc(expr)}</answer>`);
  assert.ok(end.terminated && !end.truncated);
  assert.equal(end.info.rewardComponents, {
    format: 1, toolName: 1, paramNames: 1, paramValues: 1, correctness: 3, tool: 1, args: 1, answered: 1, answer: 1, chrf: 1, bleu: 1, calls: 1, malformed: 0,
  });
  assert.is(end.reward, 0.25 + 0.25 + 0.25 + 1); // default reward 'weighted'
  assert.is(end.info.success, true);
});

/** Plays `text` on a fresh episode of `id` (seed 5) under each reward option; returns option → reward. */
function rewardsFor(id: string, opts: Record<string, unknown>, text: (p: { prompt: string; answer: string }) => string, progress?: number) {
  const out: Record<string, number> = {};
  let m: ToolMetrics | null = null;
  for (const reward of TOOL_REWARDS) {
    const env = makeEnvSync<TokenEnv>(id, { ...opts, reward });
    const r = env.reset({ seed: 5, options: { progress: progress ?? 0 } });
    const s = last(env, text({ prompt: r.info.prompt as string, answer: (env as unknown as ToolEnv).currentProblem().answer }));
    assert.ok(s.terminated || s.truncated, `${reward}: the text did not end the episode`);
    out[reward] = s.reward;
    m = metrics(s);
  }
  return { rewards: out, m: m! };
}

test('reward options on hand-built completions (ToolCalc)', () => {
  const expr = (p: { prompt: string }) => p.prompt.slice(0, -2);
  // Right call, right answer.
  let { rewards, m } = rewardsFor('ToolCalc-v0', {}, (p) => `<call>calc(${expr(p)})</call><answer>${p.answer}</answer>`);
  assert.equal(rewards, { weighted: 1.75, answer: 1, toolrl: 4, 'toolrl-dynamic': 2 + 2, chrf: 1, bleu: 1, args: 1 });
  // Right call, answer off by its last digit: partial credit from chrF/BLEU only; ToolRL and args pay in full.
  ({ rewards, m } = rewardsFor('ToolCalc-v0', {}, (p) => `<call>calc(${expr(p)})</call><answer>${p.answer.slice(0, -1)}${p.answer.endsWith('7') ? '8' : '7'}</answer>`));
  assert.is(m.answer, 0);
  assert.is(rewards.answer, 0);
  assert.is(rewards.toolrl, 4);
  assert.is(rewards.args, 1);
  assert.ok(rewards.chrf > 0 && rewards.chrf < 1, `chrf ${rewards.chrf}`);
  assert.ok(rewards.bleu > 0 && rewards.bleu < 1, `bleu ${rewards.bleu}`);
  assert.is(rewards.weighted, 0.75);
  // Answer without any call: right answer, but ToolRL's format needs a call and correctness is at its floor.
  ({ rewards, m } = rewardsFor('ToolCalc-v0', {}, (p) => `<answer>${p.answer}</answer>`));
  assert.equal({ format: m.format, correctness: m.correctness, answer: m.answer, calls: m.calls }, { format: 0, correctness: -3, answer: 1, calls: 0 });
  assert.equal(rewards, { weighted: 0.25 + 1, answer: 1, toolrl: -3, 'toolrl-dynamic': -2 - 2, chrf: 1, bleu: 1, args: 0 });
});

test('args-only rewards a right call followed by no answer; answer/chrf/bleu pay nothing for it', () => {
  for (const reward of ['args', 'answer', 'chrf', 'bleu', 'toolrl'] as const) {
    const env = makeEnvSync<TokenEnv>('ToolCalc-v0', { reward });
    const p = env.reset({ seed: 9 }).info.prompt as string;
    type(env, `<call>calc(${p.slice(0, -2)})</call>`);
    const s = env.step(tok.eos);
    assert.ok(s.terminated);
    const m = metrics(s);
    assert.equal({ answered: m.answered, paramValues: m.paramValues, format: m.format, correctness: m.correctness }, { answered: 0, paramValues: 1, format: 0, correctness: 3 });
    assert.is(s.reward, { args: 1, answer: 0, chrf: 0, bleu: 0, toolrl: 3 }[reward], reward);
  }
});

test('toolrl-dynamic: the schedule moves weight from format to correctness; needs progress at reset', () => {
  assert.equal(toolrlScales(0), { format: [-2, 2], correctness: [-2, 2] });
  assert.equal(toolrlScales(0.5), { format: [-1, 1.5], correctness: [-2.5, 2.5] });
  assert.equal(toolrlScales(1), { format: [-1, 1], correctness: [-3, 3] });
  const clean = (p: { prompt: string; answer: string }) => `<call>calc(${p.prompt.slice(0, -2)})</call><answer>${p.answer}</answer>`;
  assert.is(rewardsFor('ToolCalc-v0', {}, clean, 0).rewards['toolrl-dynamic'], 4);
  assert.is(rewardsFor('ToolCalc-v0', {}, clean, 0.5).rewards['toolrl-dynamic'], 1.5 + 2.5);
  assert.is(rewardsFor('ToolCalc-v0', {}, clean, 1).rewards['toolrl-dynamic'], 1 + 3);
  // No call, an empty answer: both terms at their floors.
  const none = () => '<answer></answer>';
  const early = rewardsFor('ToolCalc-v0', {}, none, 0).rewards['toolrl-dynamic'];
  const late = rewardsFor('ToolCalc-v0', {}, none, 1).rewards['toolrl-dynamic'];
  assert.is(early, -2 - 2);
  assert.is(late, -1 - 3);
  const env = makeEnvSync<TokenEnv>('ToolCalc-v0', { reward: 'toolrl-dynamic' });
  assert.throws(() => env.reset({ seed: 1 }), /toolrl-dynamic.*reset\(\{ seed, options: \{ progress \} \}\)/);
  assert.throws(() => env.reset({ seed: 1, options: { progress: 1.5 } }), /'progress' must be a number in \[0, 1\]/);
  assert.throws(() => env.reset({ seed: 1, options: { progress: 0.2, level: 3 } }), /no per-episode options \(got level\)/);
  // Other rewards accept (and ignore) progress, so a runner may pass it to every tool env.
  const plain = makeEnvSync<TokenEnv>('ToolCalc-v0');
  assert.is(plain.reset({ seed: 1, options: { progress: 0.3 } }).info.prompt, plain.reset({ seed: 1 }).info.prompt);
});

test('ToolChain-v0: a correct two-call trajectory (the second call built from the first result) succeeds', () => {
  const env = makeEnvSync<TokenEnv>('ToolChain-v0', { reward: 'toolrl' });
  const r = env.reset({ seed: 4 });
  const prompt = r.info.prompt as string;
  const m = /^\(age of ([a-z]+)\)(.*)=\?$/.exec(prompt)!;
  assert.ok(m, prompt);
  const age = KNOWLEDGE_BASE.get(m[1])!.age;
  const s1 = last(env, `<call>lookup(${m[1]}.age)</call>`);
  assert.ok(!s1.terminated && !s1.truncated);
  assert.is(s1.info.inserted, `<result>${age}</result>`);
  assert.ok(tok.decode(s1.obs).endsWith(`<result>${age}</result>`), 'the first result is in the observation before the second call');
  const s2 = last(env, `<call>calc(${age}${m[2]})</call>`);
  assert.is(s2.info.inserted, `<result>${calc(age + m[2])}</result>`);
  const end = last(env, `<answer>${calc(age + m[2])}</answer>`);
  assert.ok(end.terminated);
  assert.is(end.info.success, true);
  assert.equal(metrics(end), { format: 1, toolName: 1, paramNames: 1, paramValues: 1, correctness: 3, tool: 1, args: 1, answered: 1, answer: 1, chrf: 1, bleu: 1, calls: 2, malformed: 0 });
  assert.is(end.reward, 4);
  assert.equal(env.demonstrate().map((d) => d.role), ['policy', 'env', 'policy', 'env', 'policy']);
});

test('ToolChain-v0: incomplete, wrong-value and malformed trajectories get the right components', () => {
  const env = makeEnvSync<TokenEnv>('ToolChain-v0', { maxTurns: 3, maxLength: 256, reward: 'toolrl' });
  const start = () => {
    const p = env.reset({ seed: 4 }).info.prompt as string;
    const m = /^\(age of ([a-z]+)\)(.*)=\?$/.exec(p)!;
    return { name: m[1], tail: m[2], age: KNOWLEDGE_BASE.get(m[1])!.age };
  };
  // Lookup only, then answer the age: one of two tools; values 2 of 3 (entity, attribute; no expression).
  let c = start();
  type(env, `<call>lookup(${c.name}.age)</call>`);
  let m = metrics(last(env, `<answer>${c.age}</answer>`));
  // S = r_name + (1 + 2) = 1/2 + 3, S_max = 1 + (1 + 2) + (1 + 1) = 6 → correctness = 6·3.5/6 − 3 = 0.5
  assert.equal({ toolName: m.toolName, paramNames: m.paramNames, paramValues: m.paramValues, correctness: m.correctness, tool: m.tool, args: m.args, answer: m.answer, format: m.format },
    { toolName: 0.5, paramNames: 0.5, paramValues: 2 / 3, correctness: 0.5, tool: 0, args: 0, answer: 0, format: 1 });
  // Both calls, but the calc call ignores the looked-up value (uses 1 instead): values 2 of 3.
  c = start();
  type(env, `<call>lookup(${c.name}.age)</call>`);
  type(env, `<call>calc(${Number(c.age) + 1}${c.tail})</call>`);
  m = metrics(last(env, `<answer>${calc(Number(c.age) + 1 + c.tail)}</answer>`));
  assert.equal({ toolName: m.toolName, paramNames: m.paramNames, paramValues: m.paramValues, args: m.args, tool: m.tool, answer: m.answer }, { toolName: 1, paramNames: 1, paramValues: 2 / 3, args: 0, tool: 1, answer: 0 });
  assert.is(m.correctness, 6 * (1 + 3 + 1) / 6 - 3);
  // A wrong attribute (city) in the lookup: entity right, attribute wrong.
  c = start();
  type(env, `<call>lookup(${c.name}.city)</call>`);
  m = metrics(env.step(tok.eos));
  assert.equal({ paramValues: m.paramValues, paramNames: m.paramNames, answered: m.answered, format: m.format }, { paramValues: 1 / 3, paramNames: 0.5, answered: 0, format: 0 });
  // A malformed first call, then the full solution within the turn limit: success, but format 0.
  c = start();
  const s = last(env, 'lookup(x)</call>');
  assert.is(s.info.inserted, '<error>syntax</error>');
  type(env, `<call>lookup(${c.name}.age)</call>`);
  type(env, `<call>calc(${c.age}${c.tail})</call>`);
  const end = last(env, `<answer>${calc(c.age + c.tail)}</answer>`);
  m = metrics(end);
  assert.equal({ success: end.info.success, format: m.format, malformed: m.malformed, calls: m.calls, correctness: m.correctness }, { success: true, format: 0, malformed: 1, calls: 3, correctness: 3 });
  assert.is(end.reward, 3);
  // The turn limit cuts a chain that wastes its calls.
  const tight = makeEnvSync<TokenEnv>('ToolChain-v0', { maxTurns: 2 });
  tight.reset({ seed: 4 });
  type(tight, '<call>calc(1)</call>');
  type(tight, '<call>calc(2)</call>');
  const cut = last(tight, '<call>calc(3)</call>');
  assert.ok(cut.truncated);
  assert.match(cut.info.message, /Turn limit of 2/);
});

test('malformed and unknown calls give an error observation and count as malformed, never an exception', () => {
  const env = makeEnvSync<TokenEnv>('ToolLookup-v0', { maxTurns: 3, maxLength: 200 });
  env.reset({ seed: 8 });
  const demo = env.demonstrate();
  let s = last(env, 'calc 1+1</call>');
  assert.is(s.info.inserted, '<error>syntax</error>');
  assert.match(s.info.message, /Malformed/);
  s = last(env, '<call>search(x)</call>');
  assert.is(s.info.inserted, '<error>unknown tool</error>');
  s = last(env, demo[0].text); // the right call
  assert.is(s.info.inserted, demo[1].text);
  const end = last(env, demo[2].text);
  const m = metrics(end);
  assert.equal({ malformed: m.malformed, calls: m.calls, format: m.format, tool: m.tool, args: m.args, answer: m.answer }, { malformed: 2, calls: 3, format: 0, tool: 1, args: 1, answer: 1 });
  // ToolRL names: reference {lookup} vs called {search, lookup} (the unparsable call has no name) → 1/2.
  assert.is(m.toolName, 0.5);
  assert.is(end.reward, 0.25 * -1 + 0.25 + 0.25 + 1); // 'weighted': −0.5 per malformed call, floor −1
  assert.is(end.info.success, true);
});

test('wrong tool, wrong args, no answer (eos), turn limit', () => {
  const env = makeEnvSync<TokenEnv>('ToolLookup-v0', { maxTurns: 1, maxLength: 200 });
  env.reset({ seed: 2 });
  let s = last(env, '<call>calc(1+1)</call>'); // a known tool, but not the one this task needs
  assert.is(s.info.inserted, '<result>2</result>');
  s = env.step(tok.eos);
  assert.ok(s.terminated);
  assert.equal({ ...metrics(s) }, { format: 0, toolName: 0, paramNames: 0, paramValues: 0, correctness: -3, tool: 0, args: 0, answered: 0, answer: 0, chrf: 0, bleu: 0, calls: 1, malformed: 0 });
  assert.is(s.reward, 0);
  env.reset({ seed: 2 });
  type(env, '<call>lookup(nobody.age)</call>');
  s = last(env, '<call>lookup(nobody.age)</call>');
  assert.ok(s.truncated && !s.terminated);
  assert.match(s.info.message, /Turn limit/);
  assert.equal({ tool: metrics(s).tool, args: metrics(s).args, calls: metrics(s).calls }, { tool: 1, args: 0, calls: 2 });
});

test('ToolRL matching: multiset Jaccard and S/S_max on hand-built call lists', () => {
  assert.is(multisetJaccard(['a', 'b'], ['a', 'b']), 1);
  assert.is(multisetJaccard(['a', 'a'], ['a']), 0.5);
  assert.is(multisetJaccard([], ['a']), 0);
  const ref = [{ tool: 'lookup', args: 'guki.age' }, { tool: 'calc', args: '15*3' }];
  assert.is(matchCalls(ref, ref).score, 1);
  assert.is(matchCalls(ref, []).score, 0);
  // calc matches by value: 3*15 is the same call; a repeated lookup matches one reference call only.
  const m = matchCalls(ref, [{ tool: 'calc', args: '3*15' }, { tool: 'lookup', args: 'guki.age' }, { tool: 'lookup', args: 'guki.age' }]);
  assert.is(m.paramValues, 1);
  assert.is(m.toolName, 2 / 3);
  assert.is(m.score, (2 / 3 + 3 + 2) / 6);
  const s = scoreEpisode(ref, [], 0, 0, null, '45');
  assert.equal({ correctness: s.correctness, format: s.format, chrf: s.chrf }, { correctness: -3, format: 0, chrf: 0 });
  assert.throws(() => toolReward('toolrl-dynamic', s, { wFormat: 0, wTool: 0, wArgs: 0, wAnswer: 0 }, null), /needs the training progress/);
});

test('ood problems hold a parenthesised group and never occur in train or test; ToolLookup has none', () => {
  const draw = (id: string, o: Record<string, unknown>, n: number) => { const e = makeEnvSync<TokenEnv>(id, o); return Array.from({ length: n }, (_, s) => ({ prompt: e.reset({ seed: s }).info.prompt as string, problem: (e as unknown as ToolEnv).currentProblem() })); };
  for (const id of ['ToolCalc-v0', 'ToolChain-v0', 'ToolMix-v0']) {
    const o = id === 'ToolMix-v0' ? { chainFraction: 0.5 } : {};
    const inDist = [...draw(id, { ...o, split: 'train' }, 200), ...draw(id, { ...o, split: 'test' }, 200)];
    const ood = draw(id, { ...o, ood: true, split: 'test' }, 200);
    const grouped = /\(\d+[+-]\d+\)/;
    assert.ok(inDist.every((p) => !/\(\d/.test(p.prompt) && p.problem.calls.every((c) => !/\(/.test(c.args))), `${id}: an in-distribution problem has a group`);
    assert.ok(ood.every((p) => grouped.test(p.prompt) && splitOf(p.prompt) === 'test'), `${id}: an ood prompt without a group`);
    assert.ok(ood.every((p) => p.problem.calls.some((c) => c.tool === 'calc' && grouped.test(c.args))), `${id}: an ood calc call without the group`);
    const seen = new Set(inDist.map((p) => p.prompt));
    assert.ok(ood.every((p) => !seen.has(p.prompt)));
    assert.ok(new Set(ood.map((p) => p.prompt)).size > 150, `${id}: too few distinct ood problems`);
  }
  assert.throws(() => makeEnvSync('ToolLookup-v0', { ood: true }), /ToolLookup-v0: option 'ood' has no out-of-distribution variant/);
});

test('ToolMix-v0 chainFraction: about that share of two-call problems; train and test stay disjoint', () => {
  const e = makeEnvSync<TokenEnv>('ToolMix-v0', { chainFraction: 0.34 });
  const kinds: Record<string, number> = { calc: 0, lookup: 0, chain: 0 };
  const train = new Set<string>();
  for (let s = 0; s < 600; s++) { train.add(e.reset({ seed: s }).info.prompt as string); kinds[(e as unknown as ToolEnv).currentProblem().kind]!++; }
  assert.ok(kinds.chain! > 150 && kinds.chain! < 260, JSON.stringify(kinds));
  assert.ok(kinds.calc! > 120 && kinds.lookup! > 120, JSON.stringify(kinds));
  const t = makeEnvSync<TokenEnv>('ToolMix-v0', { chainFraction: 0.34, split: 'test' });
  for (let s = 0; s < 300; s++) assert.not.ok(train.has(t.reset({ seed: s }).info.prompt as string));
  assert.throws(() => makeEnvSync('ToolCalc-v0', { chainFraction: 0.5 }), /unknown config key 'chainFraction'/);
});

test('the automatic maxLength holds every demonstration', () => {
  for (const [id, o] of [['ToolCalc-v0', { digits: 4, ops: 3 }], ['ToolCalc-v0', { digits: 4, ops: 3, ood: true }], ['ToolChain-v0', { digits: 1, ops: 3 }], ['ToolChain-v0', { digits: 4, ops: 3, ood: true }], ['ToolMix-v0', { chainFraction: 0.5 }]] as const) {
    const e = makeEnvSync<TokenEnv>(id, o);
    const max = (e.observationSpace as unknown as { maxLength: number }).maxLength;
    for (let s = 0; s < 300; s++) {
      const r = e.reset({ seed: s });
      const len = r.obs.length + e.demonstrate().reduce((n, d) => n + d.text.length, 0);
      assert.ok(len < max, `${id} ${JSON.stringify(o)} seed ${s}: ${len} tokens ≥ maxLength ${max}`);
    }
  }
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
  assert.throws(() => makeEnvSync('ToolCalc-v0', { turns: 2 }), /unknown config key 'turns'.*Valid keys: split, digits, ops, ood, maxTurns/);
  assert.throws(() => makeEnvSync('ToolCalc-v0', { maxLength: 20 }), /'maxLength'/);
  assert.throws(() => makeEnvSync('ToolCalc-v0', { reward: 'f1' }), /config key 'reward' must be one of 'weighted', 'answer', 'toolrl', 'toolrl-dynamic', 'chrf', 'bleu', 'args', got "f1"/);
});

test.run();
