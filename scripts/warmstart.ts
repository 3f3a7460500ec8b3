/**
 * Supervised warm start of a token policy on an env's demonstrations, saved as a small checkpoint.
 *
 *   npm run warmstart -- --env Addition-v0 [--options '{"digits":2}'] [--target 0.3] [--out PATH]
 *   npm run warmstart -- --env ./my-envs/my-text-env.ts --out my-warm-start.safetensors
 *
 * The env is a registered id or a path to an env module (its default export, as for `npm start`); it must
 * be a text or tool env with `demonstrate()`. Trains the token policy (--layers/--width/--heads/--context)
 * with SFT on demonstrations from the env's 'train' split; every --eval-every steps measures greedy success
 * on --select-episodes fresh 'train' episodes (from step --eval-from on) and stops once it reaches --target
 * (RL needs room to improve, so the goal is a partial solver, not a perfect one). The reported figure is
 * greedy success on the held-out 'test' split (--test-episodes episodes), stored in the checkpoint metadata
 * and printed as the last line (JSON). An env without a `split` option trains and tests on its one set.
 *
 * Tasks with several listed correct answers (EitherSort-v0): --answer-mix 0.8,0.2 makes each demonstration
 * the env's i-th correct answer with that probability (a warm start favouring one answer), and the report
 * adds, on the held-out problems, the mean probability the policy gives each answer (exact, teacher forced),
 * the share of greedy completions that are each answer, and the same for one sample per problem at T = 1.
 */
import { basename } from 'node:path';
import type { Schema } from '../core/schema.ts';
import type { Env, TokenEnv } from '../envs/index.ts';
import { flagHelp, parseFlags, runCommand, UsageError } from './flags.ts';

const FLAGS = {
  env: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: "Required: a registered text/tool env id (e.g. 'Addition-v0') or a path to an env module ('./my-env.ts') that implements demonstrate()." },
  options: { type: 'record', default: {}, doc: 'Env options as JSON, e.g. \'{"digits":2}\'.' },
  out: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'Checkpoint file to write. Default: agents/checkpoints/<env>.safetensors.' },
  target: { type: 'number', default: 0.3, min: 0, max: 1, doc: 'Stop once greedy success on fresh train-split episodes reaches this.' },
  maxSteps: { type: 'int', default: 4000, min: 1, doc: 'SFT steps at most.' },
  evalEvery: { type: 'int', default: 100, min: 1, doc: 'Measure train-split greedy success every this many steps.' },
  evalFrom: { type: 'int', default: 0, min: 0, doc: 'First step at which to measure it.' },
  selectEpisodes: { type: 'int', default: 200, min: 1, doc: 'Train-split episodes per measurement (seeds disjoint from the demonstrations).' },
  testEpisodes: { type: 'int', default: 500, min: 1, doc: 'Held-out test-split episodes for the reported figure.' },
  demos: { type: 'int', default: 5000, min: 1, doc: 'Demonstrations drawn from the train split.' },
  layers: { type: 'int', default: 2, min: 1, doc: 'Transformer layers.' },
  width: { type: 'int', default: 64, min: 1, doc: 'Model width (must be divisible by --heads).' },
  heads: { type: 'int', default: 4, min: 1, doc: 'Attention heads.' },
  context: { type: 'string', default: 'auto', pattern: { re: /^(auto|[1-9]\d*)$/, what: "'auto' or a positive integer" }, doc: "Context length; 'auto' = the env's longest observation rounded up to a multiple of 16." },
  lr: { type: 'number', default: 0.003, min: 0, exclusiveMin: true, max: 1, doc: 'Adam learning rate.' },
  batch: { type: 'int', default: 32, min: 1, doc: 'Examples per SFT step.' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'Seed of the weights, the batch order and the demonstrations.' },
  answerMix: { type: 'string[]', default: [], doc: "Tasks with several listed correct answers (EitherSort-v0): demonstrate the env's i-th correct answer with probability w_i, e.g. 0.8,0.2 (normalised). Default: the env's own demonstration." },
  backend: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'TF.js backend: tfjs-node-gpu, tfjs-node, wasm, cpu. Default: the best that loads.' },
} as const satisfies Schema;

const USAGE = `usage: npm run warmstart -- --env <id | ./path/to/env.ts> [--options JSON] [--target 0.3] [--out FILE.safetensors] [flags]

Trains a token policy by SFT on the env's demonstrate() solutions, until greedy success on fresh
train-split episodes reaches --target, then measures it on the held-out test split and saves it. Use the
file as a run's warm start: {"policy": {"checkpoint": "FILE.safetensors"}} (docs/policies.md).

flags:
${flagHelp(FLAGS)}`;

await runCommand(async () => {
  const argv = process.argv.slice(2);
  const { values: a, positionals, help } = parseFlags(argv, FLAGS);
  if (help) { console.log(USAGE); return; }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}': name the env with --env`);
  if (!a.env) throw new UsageError('--env is required: a text/tool env id or a path to an env module');
  const envId = a.env;
  // The rooms (and TF.js) load only now, so --help and flag errors answer at once.
  const { isEnvPath, makeEnv } = await import('../envs/index.ts');
  const agents = await import('../agents/index.ts');
  const { initBackend, TokenPolicy, SftTrainer, collectDemonstrations, evaluateTokenPolicy, correctAnswerMass, savePolicy } = agents;
  const demonstrable: (env: Env<any, any>, name: string) => void = agents.assertDemonstrable;
  const probe = await makeEnv(envId, a.options);
  demonstrable(probe, envId);
  const hasSplit = 'split' in (probe.spec.options ?? {});
  if (!hasSplit) console.warn(`note: env '${envId}' has no 'split' option: demonstrations, selection and the reported figure all come from its one problem set (seeds kept apart)`);
  if (hasSplit && 'split' in a.options) throw new UsageError(`--options must not set 'split': the warm start trains on 'train' and reports on 'test'`);
  const make = async (split: 'train' | 'test', n: number): Promise<TokenEnv[]> => {
    const out: TokenEnv[] = [];
    for (let i = 0; i < n; i++) out.push(await makeEnv<TokenEnv>(envId, hasSplit ? { ...a.options, split } : a.options));
    return out;
  };
  const stem = isEnvPath(envId) ? basename(envId).replace(/\.[mc]?[jt]s$/, '') : envId;
  const out = a.out ?? `agents/checkpoints/${stem.toLowerCase()}.safetensors`;
  const backend = await initBackend(a.backend ?? undefined);

  const answerWeights = a.answerMix.length === 0 ? undefined : a.answerMix.map((x) => {
    const v = Number(x);
    if (x === '' || !(v >= 0)) throw new UsageError(`--answer-mix: '${x}' is not a non-negative number (expected e.g. 0.8,0.2)`);
    return v;
  });
  const demos = collectDemonstrations((await make('train', 1))[0]!, a.demos, 1_000_000 + a.seed * 100_000, { answerWeights });
  const envMax = (probe.observationSpace as { maxLength?: number }).maxLength ?? 128;
  const context = a.context === 'auto' ? Math.max(32, Math.ceil(envMax / 16) * 16) : Number(a.context);
  if (context < envMax) console.warn(`warning: --context ${context} is shorter than the env's longest observation (${envMax})`);
  const policy = new TokenPolicy({ layers: a.layers, width: a.width, heads: a.heads, context, seed: a.seed });
  const trainer = new SftTrainer(policy, demos, { learningRate: a.lr, batchSize: a.batch, steps: a.maxSteps, seed: a.seed });
  const selectEnvs = await make('train', 16);
  const testEnvs = await make('test', 16);
  console.log(`warm start ${envId} ${JSON.stringify(a.options)}: ${demos.length} demos, ${policy.parameterCount} params, backend ${backend}, target greedy success ${a.target}`);
  const t0 = Date.now();
  let selected = 0;
  let reached = false;
  trainer.train((info) => {
    if (info.step < a.evalFrom || info.step % a.evalEvery !== 0) return;
    // Selection episodes: 'train' split, seeds disjoint from the demonstrations.
    const sel = evaluateTokenPolicy(policy, selectEnvs, { episodes: a.selectEpisodes, seed0: 5_000_000 + info.step * 1000 });
    selected = sel.successRate;
    console.log(`step ${info.step}  loss ${info.loss.toFixed(4)}  token acc ${info.tokenAccuracy.toFixed(3)}  greedy success (train split) ${sel.successRate.toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (sel.successRate >= a.target) { reached = true; return false; }
  });
  const test = evaluateTokenPolicy(policy, testEnvs, { episodes: a.testEpisodes, seed0: 9_000_000, keepCompletions: true });
  const command = `npm run warmstart -- ${argv.join(' ')}`;
  // Several listed answers: how the policy splits its probability over them on the held-out problems.
  const testSeeds = Array.from({ length: a.testEpisodes }, (_, i) => 9_000_000 + i);
  const masses = correctAnswerMass(policy, testEnvs[0]!, testSeeds);
  let answers: { meanMass: number[]; greedyShare: number[]; sampledShare: number[]; sampledSuccess: number } | null = null;
  if (masses) {
    const k = masses[0]!.length;
    const answerOf = (seedN: number) => { testEnvs[0]!.reset({ seed: seedN }); return (testEnvs[0] as unknown as { correctAnswers(): string[] }).correctAnswers(); };
    const shares = (cs: NonNullable<typeof test.completions>) => {
      const c = new Array<number>(k).fill(0);
      for (const e of cs) { const j = answerOf(e.seed).indexOf(e.completion); if (j >= 0) c[j]!++; }
      return c.map((x) => x / cs.length);
    };
    const sampled = evaluateTokenPolicy(policy, testEnvs, { episodes: testSeeds.length, seed0: 9_000_000, sampling: { temperature: 1, seed: 7 }, keepCompletions: true });
    answers = {
      meanMass: Array.from({ length: k }, (_, j) => masses.reduce((s, m) => s + m[j]!, 0) / masses.length),
      greedyShare: shares(test.completions!),
      sampledShare: shares(sampled.completions!),
      sampledSuccess: sampled.successRate,
    };
    console.log(`held-out answer split: mean mass ${JSON.stringify(answers.meanMass)}, greedy shares ${JSON.stringify(answers.greedyShare)}, sampled (T = 1) shares ${JSON.stringify(answers.sampledShare)}`);
  }
  savePolicy(out, policy, {
    'thrive.warmstart.env': envId,
    'thrive.warmstart.envOptions': JSON.stringify(a.options),
    'thrive.warmstart.steps': String(trainer.stepCount),
    'thrive.warmstart.trainSplitSuccess': selected.toFixed(4),
    'thrive.warmstart.testSuccess': test.successRate.toFixed(4),
    'thrive.warmstart.testEpisodes': String(test.episodes),
    'thrive.warmstart.command': command,
    ...(answerWeights ? { 'thrive.warmstart.answerMix': JSON.stringify(answerWeights) } : {}),
    ...(answers ? { 'thrive.warmstart.answers': JSON.stringify(answers) } : {}),
  });
  console.log(`${reached ? 'reached' : 'did NOT reach'} target ${a.target}; held-out greedy success ${test.successRate.toFixed(3)} over ${test.episodes} episodes; saved ${out}`);
  for (const s of test.samples) console.log(`  seed ${s.seed}: ${s.message}`);
  console.log(JSON.stringify({ env: envId, envOptions: a.options, out, steps: trainer.stepCount, reachedTarget: reached, trainSplitSuccess: selected, testSuccess: test.successRate, testEpisodes: test.episodes, ...(answers ? { answers } : {}), seconds: (Date.now() - t0) / 1000, command }));
  trainer.dispose();
  policy.dispose();
  for (const e of [probe, ...selectEnvs, ...testEnvs]) e.close();
}, USAGE);
