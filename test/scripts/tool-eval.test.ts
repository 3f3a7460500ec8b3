import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapDiff, bootstrapMean, bootstrapNested, bootstrapPairedDiff } from '../../scripts/experiments/bootstrap.ts';
import { reportTools } from '../../scripts/experiments/report-tools.ts';
import type { ToolCheckpointEval } from '../../scripts/experiments/eval-tools.ts';
import { evaluateSplit, modeStats } from '../../scripts/experiments/eval-tools.ts';
import { bestReward, TOOL_REWARD_ARMS, TOOL_STUDY_ENV, TOOL_SUITES, TOOL_WARM_STARTS } from '../../scripts/experiments/suite-tools.ts';
import { SUITES } from '../../scripts/experiments/suites.ts';
import type { SuiteResults } from '../../scripts/experiments/run.ts';
import { keptJobs, restoreJobs, reusedJob } from '../../scripts/experiments/reuse.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEnvSync, type TokenEnv, type ToolMetrics } from '../../envs/index.ts';
import { TokenPolicy, initBackend, policyFromCheckpoint } from '../../agents/index.ts';
import { resolveExperiment } from '../../runner/index.ts';

test('bootstrap: constant data has a zero-width interval; intervals contain the mean and are seeded', () => {
  assert.equal(bootstrapMean([0.5, 0.5, 0.5]), { mean: 0.5, lo: 0.5, hi: 0.5 });
  const v = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 25%
  const a = bootstrapMean(v, { seed: 3 });
  assert.is(a.mean, 0.25);
  assert.ok(a.lo < 0.25 && a.hi > 0.25 && a.lo > 0.15 && a.hi < 0.35, JSON.stringify(a));
  assert.equal(bootstrapMean(v, { seed: 3 }), a);
  // Seeds that disagree widen the nested interval beyond the one of their pooled problems.
  const spread = [v.map(() => 0), v.map(() => 1), v];
  const nested = bootstrapNested(spread);
  assert.ok(nested.hi - nested.lo > 0.5, JSON.stringify(nested));
  const same = bootstrapDiff([v, v], [v, v]);
  assert.ok(same.lo < 0 && same.hi > 0 && same.mean === 0);
  const higher = bootstrapDiff([v.map(() => 1)], [v]);
  assert.ok(higher.lo > 0.6);
  assert.throws(() => bootstrapNested([]), /at least one group/);
});

const M = (o: Partial<ToolMetrics>): Record<string, number> => ({
  format: 0, toolName: 0, paramNames: 0, paramValues: 0, correctness: -3, tool: 0, args: 0, answered: 0, answer: 0, chrf: 0, bleu: 0, calls: 0, malformed: 0, ...o,
});

test('modeStats: success, per-kind success, component means and the malformed-call rate', () => {
  const outcomes = [
    { problem: 0, success: true, reward: 1, completion: 'a', components: M({ answer: 1, format: 1, calls: 1 }) },
    { problem: 0, success: false, reward: 0, completion: 'b', components: M({ calls: 2, malformed: 1 }) },
    { problem: 1, success: false, reward: 0, completion: 'c', components: M({ calls: 1, malformed: 1, paramValues: 0.5 }) },
    { problem: 1, success: true, reward: 1, completion: 'd', components: M({ answer: 1, calls: 0 }) },
  ];
  const s = modeStats(outcomes, 2, 2, ['calc', 'chain'], 1);
  assert.is(s.success, 0.5);
  assert.equal(s.perProblem, [1, 1]);
  assert.equal(s.byKind, { calc: { episodes: 2, success: 0.5 }, chain: { episodes: 2, success: 0.5 } });
  assert.is(s.malformedRate, 2 / 4);
  assert.is(s.components.format, 0.25);
  assert.is(s.components.paramValues, 0.125);
  assert.throws(() => modeStats([{ problem: 0, success: false, reward: 0, completion: '' }], 1, 1, ['calc'], 1), /without info.rewardComponents/);
});

test('evaluateSplit on a tiny random policy: counts, the regime check and determinism', async () => {
  await initBackend();
  const policy = new TokenPolicy({ layers: 1, width: 16, heads: 2, context: 160, seed: 4 });
  const envs = Array.from({ length: 4 }, () => makeEnvSync<TokenEnv>('ToolMix-v0', { chainFraction: 1 / 3, split: 'test' }));
  const kinds = ['calc', 'lookup', 'chain', 'calc', 'lookup', 'chain'] as const;
  const a = evaluateSplit(policy, envs, 6, 3, [1, 3], 1, 11, kinds);
  assert.is(a.greedy.episodes, 6);
  assert.is(a.sampled.episodes, 18);
  assert.equal(Object.keys(a.zeroVariance).sort(), ['answer', 'args', 'bleu', 'chrf', 'toolrl', 'toolrl-dynamic', 'weighted']);
  // A random policy never answers right: the answer reward is flat in every group.
  assert.is(a.zeroVariance.answer, 1);
  // Distinct correct transcripts per problem: never more than the problem's correct samples.
  assert.is(a.distinctCorrect.length, 6);
  a.distinctCorrect.forEach((d, p) => assert.ok(d >= 0 && d <= a.sampled.perProblem[p]!, `problem ${p}: ${d} distinct of ${a.sampled.perProblem[p]} correct`));
  const b = evaluateSplit(policy, envs, 6, 3, [1, 3], 1, 11, kinds);
  assert.equal(b.sampled.perProblem, a.sampled.perProblem);
  assert.equal(b.sampled.components, a.sampled.components);
  policy.dispose();
});

test('tool-reward suites: six reward arms that differ only in the reward, declared with ≥ 5 seeds', () => {
  for (const name of ['tool-reward', 'tool-reward-weak']) {
    const s = SUITES[name]!({ quick: false });
    assert.equal(s.arms.map((a) => a.name), TOOL_REWARD_ARMS.map(([r]) => r));
    assert.ok(s.declaration && s.declaration.seeds >= 5 && s.declaration.against.length > 0);
    const strip = (c: object) => JSON.stringify({ ...c, name: '', description: '', env: { ...((c as { env: object }).env), options: { ...((c as { env: { options: object } }).env.options), reward: '' } } });
    for (const a of s.arms) assert.is(strip(a.config), strip(s.arms[0]!.config), `${name}/${a.name} differs in more than the reward`);
    assert.equal(s.arms.map((a) => ((a.config.env as { options: { reward: string } }).options.reward)), TOOL_REWARD_ARMS.map(([r]) => r));
    assert.is(s.eval!.script, 'scripts/experiments/eval-tools.ts');
  }
  assert.is.not(TOOL_WARM_STARTS.strong.checkpoint, TOOL_WARM_STARTS.weak.checkpoint);
});

test('a learner batch of the study env fits the warm starts\' context (longest prompt + longest continuation)', () => {
  const env = makeEnvSync<TokenEnv>(TOOL_STUDY_ENV.id, { ...TOOL_STUDY_ENV.options, split: 'train' });
  const max = (env.observationSpace as unknown as { maxLength: number }).maxLength;
  let pMin = Infinity, pMax = 0;
  for (let s = 0; s < 2000; s++) { const n = env.reset({ seed: s }).obs.length; pMin = Math.min(pMin, n); pMax = Math.max(pMax, n); }
  for (const w of Object.values(TOOL_WARM_STARTS)) {
    const context = (policyFromCheckpoint(w.checkpoint) as TokenPolicy).config.context;
    assert.ok(pMax + (max - pMin) <= context, `prompts ${pMin}–${pMax}, maxLength ${max}: a batch may span ${pMax + max - pMin} > context ${context}`);
  }
});

test('every tool-reward arm resolves as an experiment config (env options, warm start, learner)', async () => {
  for (const name of ['tool-reward', 'tool-reward-weak']) {
    for (const a of SUITES[name]!({ quick: false }).arms) {
      const r = await resolveExperiment({ ...a.config, budget: { updates: 1 } });
      assert.is(r.family, 'tools');
    }
  }
});

test('the best-reward rule: highest mean final greedy success, ties to the earlier arm; thr suites need it', () => {
  const job = (arm: string, greedy: number) => ({ arm, eval: [{ greedy: 0 }, { greedy }] });
  const r = { suite: 'tool-reward', jobs: [job('answer', 0.3), job('answer', 0.5), job('toolrl', 0.4), job('chrf', 0.4), job('args', 0.1)] } as unknown as SuiteResults;
  assert.is(bestReward(r), 'answer');
  const tie = { suite: 'x', jobs: [job('chrf', 0.4), job('toolrl', 0.4)] } as unknown as SuiteResults;
  assert.is(bestReward(tie), 'toolrl');
  assert.throws(() => bestReward({ suite: 'x', jobs: [] } as unknown as SuiteResults), /no finished reward arm/);
  assert.ok(typeof TOOL_SUITES['tool-reward-thr'] === 'function');
});

test('a thr suite: its GRPO arm is the reward suite\'s run of the best reward (same config but the name), its THR arm differs only in p', () => {
  // docs/results/tool-reward-weak.json is committed, so the weak thr suite can pick its reward.
  const thr = TOOL_SUITES['tool-reward-weak-thr']!({ quick: false });
  const [grpo, withThr] = thr.arms;
  const from = SUITES['tool-reward-weak']!({ quick: false }).arms.find((a) => a.name === grpo!.sameRunAs!.arm)!;
  assert.is(grpo!.sameRunAs!.suite, 'tool-reward-weak');
  const unnamed = (c: object) => ({ ...c, name: '', description: '' });
  assert.equal(unnamed(grpo!.config), unnamed(from.config));
  assert.is(withThr!.sameRunAs, undefined);
  assert.equal(unnamed({ ...withThr!.config, learner: { ...withThr!.config.learner, thr: null } }), unnamed({ ...from.config, learner: { ...from.config.learner, thr: null } }));
  assert.is((withThr!.config.learner as { thr: { p: number } }).thr.p, 0.5);
});

test('sameRunAs: the other suite\'s finished job is taken, relabelled and marked; none there, none taken', () => {
  const root = mkdtempSync(join(tmpdir(), 'thrive-reuse-'));
  try {
    const arm = { name: 'answer', label: '', config: {}, sameRunAs: { suite: 'tool-reward', arm: 'answer' } };
    assert.is(reusedJob(arm, 1, join(root, 'tool-reward-thr')), null);
    mkdirSync(join(root, 'tool-reward', 'answer-s1'), { recursive: true });
    writeFileSync(join(root, 'tool-reward', 'answer-s1', 'job.json'), JSON.stringify({ arm: 'answer', seed: 1, wallSeconds: 7 }));
    assert.equal(reusedJob(arm, 1, join(root, 'tool-reward-thr')), { arm: 'answer', seed: 1, wallSeconds: 7, reusedFrom: 'tool-reward/answer' } as never);
    assert.is(reusedJob(arm, 2, join(root, 'tool-reward-thr')), null);
    assert.is(reusedJob({ ...arm, sameRunAs: undefined }, 1, join(root, 'tool-reward-thr')), null);
    writeFileSync(join(root, 'tool-reward', 'answer-s1', 'job.json'), JSON.stringify({ arm: 'answer', seed: 3 }));
    assert.throws(() => reusedJob(arm, 1, join(root, 'tool-reward-thr')), /seed 3, not 'answer' seed 1/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('--restore: the committed results of tool-reward-weak go back to runs/ whole, once; a changed arm config restores nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'thrive-restore-'));
  try {
    const file = join(import.meta.dirname, '../../docs/results/tool-reward-weak.json');
    const results = JSON.parse(readFileSync(file, 'utf8')) as SuiteResults;
    const suite = SUITES['tool-reward-weak']!({ quick: false });
    const dir = join(root, 'tool-reward-weak');
    assert.is(restoreJobs(suite, results, dir, file), results.jobs.length);
    const j = results.jobs[0]!;
    assert.equal(JSON.parse(readFileSync(join(dir, `${j.arm}-s${j.seed}`, 'job.json'), 'utf8')), j);
    assert.ok(existsSync(join(dir, 'warm-start.eval.json')));
    assert.is(restoreJobs(suite, results, dir, file), 0, 'jobs already there are kept');
    const changed = { ...suite, arms: suite.arms.map((a) => (a.name === j.arm ? { ...a, config: { ...a.config, seed: 99 } } : a)) };
    assert.throws(() => restoreJobs(changed, results, join(root, 'other'), file), new RegExp(`arm '${j.arm}' had another config`));
    assert.ok(!existsSync(join(root, 'other')), 'nothing written');
    assert.throws(() => restoreJobs({ ...suite, name: 'tool-reward' }, results, dir, file), /holds suite 'tool-reward-weak'/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('keptJobs: a results file written by part of a study keeps the earlier jobs runs/ lacks, not those of a changed arm', () => {
  const results = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/results/tool-reward-weak.json'), 'utf8')) as SuiteResults;
  const suite = SUITES['tool-reward-weak']!({ quick: false });
  const [first, ...rest] = results.jobs;
  const all = keptJobs(suite, results, new Set([`${first!.arm}-s${first!.seed}`]));
  assert.equal(all.kept, rest, 'every job but the one runs/ has');
  assert.equal(all.dropped, []);
  const changed = { ...suite, arms: suite.arms.map((a) => (a.name === first!.arm ? { ...a, config: { ...a.config, seed: 99 } } : a)) };
  const some = keptJobs(changed, results, new Set());
  const ofArm = results.jobs.filter((j) => j.arm === first!.arm);
  assert.is(some.kept.length, results.jobs.length - ofArm.length);
  assert.equal(some.dropped, ofArm.map((j) => `${j.arm} seed ${j.seed}`));
});

test('reportTools on the committed tool-reward-weak results: paired contrasts against answer-only, dynamic − static ToolRL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-report-tools-'));
  try {
    const r = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/results/tool-reward-weak.json'), 'utf8')) as SuiteResults;
    const md = reportTools(r, dir);
    const greedy = (arm: string) => r.jobs.filter((j) => j.arm === arm).map((j) => (j.eval!.at(-1) as ToolCheckpointEval).heldOut.greedy.perProblem);
    const d = bootstrapPairedDiff(greedy('toolrl'), greedy('answer'));
    const pts = (x: number) => (x * 100).toFixed(1);
    assert.match(md, `| ToolRL: format + correctness | ${d.mean >= 0 ? '+' : ''}${pts(d.mean)} [${pts(d.lo)}, ${pts(d.hi)}] |`);
    assert.match(md, 'problems paired');
    if (r.jobs.some((j) => j.arm === 'toolrl-dynamic')) assert.match(md, '| ToolRL with dynamic scaling − ToolRL: format + correctness |');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
