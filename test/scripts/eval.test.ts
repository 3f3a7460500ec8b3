/**
 * `npm run eval`: tiny run directories trained for 2 updates (a game, a text env, an env loaded by path),
 * evaluated through runner/eval and through the command. The batched rollouts are checked against plain
 * one-env-at-a-time loops (greedy decoding is deterministic, so the figures must agree exactly).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptRunner } from './fixtures/cli.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { evaluateTarget, loadEvalTarget, evalToCsv, evalToJson, formatEvalTable, type EvalResult } from '../../runner/eval/index.ts';
import { GamePolicy, TokenPolicy, initBackend, savePolicy } from '../../agents/index.ts';
import { makeEnv } from '../../envs/index.ts';

process.env.THRIVE_BACKEND_QUIET = '1';
await initBackend();
const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'thrive-eval-'));
const base = { seed: 3, groupsPerUpdate: 1, budget: { updates: 2 }, rewards: null, actors: { workers: 1, groupsPerTask: 1 }, logging: { dir: root, episodeEvery: 0, progress: false }, server: { enabled: false } };
const train = async (name: string, extra: Record<string, unknown>) => (await runExperiment({ name, ...base, ...extra }, { quiet: true })).runDir;

const gameRun = await train('game', { env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 2 }, policy: { hidden: [8] }, learner: { temperature: 0.7 } });
const textRun = await train('text', { env: { id: 'Addition-v0', options: { digits: 1 }, groupSize: 2 }, policy: { layers: 1, width: 16, heads: 2, context: 32 } });
const pathRun = await train('path', { env: { id: './envs/examples/corridor.ts', options: { length: 9 }, groupSize: 2 }, policy: { hidden: [8] } });

/** Greedy outcomes of one env at a time (no batching): the reference for the batched rollouts. */
async function sequentialGreedy(r: EvalResult, policy: GamePolicy | TokenPolicy): Promise<{ successes: number; ret: number; len: number }> {
  const env = await makeEnv(r.env, r.envOptions);
  let successes = 0, ret = 0, len = 0;
  for (let seed = 0; seed < r.passes[0]!.problems; seed++) {
    let obs = env.reset({ seed }).obs;
    const s = policy instanceof TokenPolicy ? policy.sampler(1, { greedy: true }) : null;
    if (s) s.reset(0, obs as Int32Array);
    for (let t = 1; ; t++) {
      const action = s ? s.sample().tokens[0]! : (policy as GamePolicy).act(obs as Float32Array, 1, { greedy: true }).actions[0]!;
      const st = env.step(action);
      ret += st.reward;
      len++;
      const cut = !s && t >= env.spec.maxEpisodeSteps;
      if (st.terminated || st.truncated || cut) { if (st.info.success) successes++; break; }
      obs = st.obs;
      if (s && (obs as Int32Array).length > s.context(0).length) s.feed(0, (obs as Int32Array).slice(s.context(0).length));
    }
  }
  env.close();
  return { successes, ret, len };
}

function checkPass(p: EvalResult['passes'][number]): void {
  assert.is(p.episodes, p.problems * p.samplesPerProblem);
  assert.ok(p.successRate >= 0 && p.successRate <= 1);
  assert.ok(p.successCi95[0] <= p.successRate + 1e-12 && p.successRate <= p.successCi95[1] + 1e-12, `CI ${p.successCi95} holds ${p.successRate}`);
  assert.ok(p.successCi95[1] - p.successCi95[0] > 0, 'a non-degenerate interval');
  assert.ok(p.lengthMean >= 1);
}

test('game run dir: newest checkpoint, env and options from config.json, test split, sampled at the run temperature by default', async () => {
  const t = loadEvalTarget(gameRun);
  assert.is(t.version, 2, 'the newest checkpoint (2 updates)');
  assert.is(t.temperature, 0.7);
  assert.instance(t.policy, GamePolicy);
  const r = await evaluateTarget(t, { episodes: 12, envs: 5 });
  assert.is(r.family, 'games');
  assert.is(r.split, 'test');
  assert.is(r.envOptions.split, 'test');
  assert.is(r.envOptions.size, 5, "the run's env options");
  assert.equal(r.passes.map((p) => p.mode), ['sampled']);
  assert.is(r.passes[0]!.temperature, 0.7);
  assert.ok(r.passes[0]!.lengthMean <= 20);
  checkPass(r.passes[0]!);
  const again = await evaluateTarget(t, { episodes: 12, envs: 5 });
  assert.equal(again.passes[0]!.successes, r.passes[0]!.successes, 'the same seed gives the same sampled episodes');
  assert.equal(again.passes[0]!.returnMean, r.passes[0]!.returnMean);
  t.policy.dispose();
});

test('game --greedy: the batched rollout agrees exactly with one env at a time', async () => {
  const t = loadEvalTarget(gameRun);
  const r = await evaluateTarget(t, { episodes: 10, envs: 4, greedy: true });
  assert.equal(r.passes.map((p) => p.mode), ['greedy']);
  const ref = await sequentialGreedy(r, t.policy as GamePolicy);
  const p = r.passes[0]!;
  assert.is(p.successes, ref.successes);
  assert.ok(Math.abs(p.returnMean - ref.ret / 10) < 1e-9);
  assert.ok(Math.abs(p.lengthMean - ref.len / 10) < 1e-9);
  const train = await evaluateTarget(t, { episodes: 10, envs: 4, greedy: true, split: 'train' });
  assert.is(train.envOptions.split, 'train', '--split overrides the split');
  t.policy.dispose();
});

test('text run dir: greedy success per problem, pass@k with --samples, reward components', async () => {
  const t = loadEvalTarget(textRun);
  assert.instance(t.policy, TokenPolicy);
  const r = await evaluateTarget(t, { episodes: 8, samples: 4, envs: 8 });
  assert.is(r.family, 'text');
  assert.equal(r.passes.map((p) => p.mode), ['greedy', 'sampled']);
  const [g, s] = r.passes as [EvalResult['passes'][number], EvalResult['passes'][number]];
  checkPass(g);
  checkPass(s);
  assert.is(s.episodes, 32);
  assert.equal(Object.keys(s.passAtK!), ['1', '2', '4']);
  assert.ok(Math.abs(s.passAtK!['1']! - s.successRate) < 1e-12, 'pass@1 = the mean sampled success');
  assert.ok(s.passAtK!['1']! <= s.passAtK!['2']! && s.passAtK!['2']! <= s.passAtK!['4']!, 'pass@k rises with k');
  assert.ok(Math.abs(g.components.exact! - g.successRate) < 1e-12, "Addition's exact component is its success");
  const ref = await sequentialGreedy(r, t.policy as TokenPolicy);
  assert.is(g.successes, ref.successes);
  assert.ok(Math.abs(g.lengthMean - ref.len / 8) < 1e-9, 'greedy lengths match one env at a time');
  t.policy.dispose();
});

test('an env loaded by path (config.json env.id is a relative path)', async () => {
  const cfg = JSON.parse(readFileSync(join(pathRun, 'config.json'), 'utf8'));
  assert.is(cfg.env.id, './envs/examples/corridor.ts');
  const t = loadEvalTarget(pathRun);
  assert.is(t.envId, join(ROOT, 'envs/examples/corridor.ts'));
  const r = await evaluateTarget(t, { episodes: 6, envs: 3, greedy: true, samples: 2 });
  assert.is(r.family, 'games');
  assert.is(r.envOptions.length, 9);
  assert.is(r.split, 'test');
  assert.equal(r.passes.map((p) => p.mode), ['greedy', 'sampled']);
  for (const p of r.passes) checkPass(p);
  const ref = await sequentialGreedy(r, t.policy as GamePolicy);
  assert.is(r.passes[0]!.successes, ref.successes);
  t.policy.dispose();
});

test('a checkpoint directory, and a policy file with its env in the warm-start metadata', async () => {
  const ck = join(gameRun, 'checkpoints', 'ckpt-00000002');
  const t = loadEvalTarget(ck);
  assert.is(t.runDir, gameRun);
  assert.is(t.version, 2);
  t.policy.dispose();
  const text = loadEvalTarget(textRun);
  const file = join(root, 'warm.safetensors');
  savePolicy(file, text.policy, { 'thrive.warmstart.env': 'Addition-v0', 'thrive.warmstart.envOptions': '{"digits":1}' });
  const w = loadEvalTarget(file);
  assert.is(w.runDir, null);
  assert.is(w.envId, 'Addition-v0');
  const a = await evaluateTarget(w, { episodes: 8 });
  const b = await evaluateTarget(text, { episodes: 8 });
  assert.equal(a.passes[0]!.successes, b.passes[0]!.successes, 'the same weights, the same greedy result');
  assert.equal(a.passes[0]!.lengthMean, b.passes[0]!.lengthMean);
  w.policy.dispose();
  text.policy.dispose();
});

test('clear errors: a run without checkpoints, a policy file naming no env, an explicit split the env lacks', async () => {
  const empty = join(root, 'empty-run');
  mkdirSync(join(empty, 'checkpoints'), { recursive: true });
  cpSync(join(gameRun, 'config.json'), join(empty, 'config.json'));
  assert.throws(() => loadEvalTarget(empty), /has no complete checkpoint/);
  const bare = join(root, 'bare.safetensors');
  const t = loadEvalTarget(gameRun);
  savePolicy(bare, t.policy);
  assert.throws(() => loadEvalTarget(bare), /names no env.*--env/);
  assert.throws(() => loadEvalTarget(join(root, 'nothing-here')), /does not exist/);
  writeFileSync(join(root, 'no-split.ts'), `import { makeEnvSync } from '${join(ROOT, 'envs/index.ts')}';
export default function (o) { const e = makeEnvSync('KeyDoor-v0', { size: 5 }); return Object.assign(e, { spec: { ...e.spec, options: { size: 5 } } }); }\n`);
  const other = loadEvalTarget(bare, { env: join(root, 'no-split.ts') });
  let msg = '';
  try { await evaluateTarget(other, { episodes: 2 }, true); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /--split test: env .* has no 'split' option/);
  const r = await evaluateTarget(other, { episodes: 2 });
  assert.is(r.split, null, 'without --split: evaluated on its one problem set');
  other.policy.dispose();
  t.policy.dispose();
});

test('npm run eval: table on stdout, --out .csv / .json, bad flags name the flag', () => {
  const csv = join(root, 'eval.csv');
  const run = scriptRunner('eval.ts');
  const r = run(gameRun, pathRun, '--episodes', '4', '--greedy', '--samples', '2', '--envs', '4', '--out', csv);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /target\s+ckpt\s+env\s+split\s+mode/);
  assert.match(r.stdout, /KeyDoor-v0\s+test\s+greedy/);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(lines.length, 1 + 4, 'a header and one row per target × pass');
  assert.ok(lines[0]!.startsWith('target,version,env,split,mode,temperature,problems,samples_per_problem,episodes,successes,success_rate,ci95_low,ci95_high'));
  assert.ok(lines[0]!.includes('pass_at_2'));
  const bad = run(gameRun, '--episods', '3');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown flag --episods \(did you mean --episodes\?\)/);
  assert.not.match(bad.stderr, /\n\s+at /, 'no stack trace');
  const badValue = run(gameRun, '--samples', 'many');
  assert.is(badValue.status, 2);
  assert.match(badValue.stderr, /--samples must be an integer >= 0/);
  const help = run('--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /--samples N/);
});

test('JSON and CSV writers hold every figure of the result', async () => {
  const t = loadEvalTarget(textRun);
  const r = await evaluateTarget(t, { episodes: 4, samples: 2 });
  const doc = JSON.parse(evalToJson([r], 'npm run eval -- x'));
  assert.is(doc.command, 'npm run eval -- x');
  assert.equal(doc.results[0].passes[1].passAtK, r.passes[1]!.passAtK);
  const csv = evalToCsv([r]).trim().split('\n');
  const head = csv[0]!.split(',');
  const row = csv[2]!.split(',');
  assert.is(Number(row[head.indexOf('pass_at_2')]), r.passes[1]!.passAtK!['2']);
  assert.is(Number(row[head.indexOf('success_rate')]), r.passes[1]!.successRate);
  assert.ok(formatEvalTable([r]).includes('pass@2'));
  t.policy.dispose();
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
