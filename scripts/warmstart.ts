/**
 * Supervised warm start of a token policy on an env's demonstrations, saved as a small checkpoint.
 *
 *   tsx scripts/warmstart.ts --env Addition-v0 [--options '{"digits":2}'] [--target 0.3] [--out PATH]
 *
 * Trains the default token policy (or --layers/--width/--heads/--context) with SFT on demonstrations
 * from the env's 'train' split; every --eval-every steps measures greedy success on --select-episodes
 * fresh 'train' episodes (from step --eval-from on) and stops once it reaches --target (RL needs room to improve, so the goal is a
 * partial solver, not a perfect one). The reported figure is greedy success on the held-out 'test' split
 * (--test-episodes episodes), stored in the checkpoint metadata and printed as the last line (JSON).
 *
 * Tasks with several listed correct answers (EitherSort-v0): --answer-mix 0.8,0.2 makes each demonstration
 * the env's i-th correct answer with that probability (a warm start favouring one answer), and the report
 * adds, on the held-out problems, the mean probability the policy gives each answer (exact, teacher forced),
 * the share of greedy completions that are each answer, and the same for one sample per problem at T = 1.
 */
import { parseArgs } from 'node:util';
import { makeEnvSync, type TokenEnv } from '../envs/index.ts';
import { initBackend, TokenPolicy, SftTrainer, collectDemonstrations, evaluateTokenPolicy, correctAnswerMass, savePolicy } from '../agents/index.ts';

const { values: a } = parseArgs({
  options: {
    env: { type: 'string' },
    options: { type: 'string', default: '{}' },
    out: { type: 'string' },
    target: { type: 'string', default: '0.3' },
    'max-steps': { type: 'string', default: '4000' },
    'eval-every': { type: 'string', default: '100' },
    'eval-from': { type: 'string', default: '0' },
    'select-episodes': { type: 'string', default: '200' },
    'test-episodes': { type: 'string', default: '500' },
    demos: { type: 'string', default: '5000' },
    layers: { type: 'string', default: '2' },
    width: { type: 'string', default: '64' },
    heads: { type: 'string', default: '4' },
    context: { type: 'string', default: 'auto' },
    lr: { type: 'string', default: '0.003' },
    batch: { type: 'string', default: '32' },
    seed: { type: 'string', default: '0' },
    'answer-mix': { type: 'string' },
    backend: { type: 'string' },
  },
});
if (!a.env) {
  console.error('usage: tsx scripts/warmstart.ts --env Addition-v0 [--options JSON] [--target 0.3] [--out agents/checkpoints/NAME.safetensors]');
  process.exit(2);
}
const num = (k: keyof typeof a) => {
  const v = Number(a[k]);
  if (!Number.isFinite(v)) throw new Error(`--${k}=${a[k]} is not a number`);
  return v;
};
let envOptions: Record<string, unknown>;
try {
  envOptions = JSON.parse(a.options!);
} catch (e) {
  throw new Error(`--options is not valid JSON: ${(e as Error).message}`);
}
const target = num('target');
const out = a.out ?? `agents/checkpoints/${a.env.toLowerCase()}.safetensors`;
const backend = await initBackend(a.backend);
const make = (split: 'train' | 'test', n: number) => Array.from({ length: n }, () => makeEnvSync<TokenEnv>(a.env!, { ...envOptions, split }));

const seed = num('seed');
const answerWeights = a['answer-mix'] === undefined ? undefined : a['answer-mix'].split(',').map((x) => {
  const v = Number(x);
  if (!(v >= 0)) throw new Error(`--answer-mix: '${x}' is not a non-negative number (expected e.g. 0.8,0.2)`);
  return v;
});
const demos = collectDemonstrations(make('train', 1)[0]!, num('demos'), 1_000_000 + seed * 100_000, { answerWeights });
// Context 'auto': the env's longest possible observation, rounded up to a multiple of 16.
const probe = make('train', 1)[0]!;
const envMax = (probe.observationSpace as { maxLength?: number }).maxLength ?? 128;
const context = a.context === 'auto' ? Math.max(32, Math.ceil(envMax / 16) * 16) : num('context');
if (context < envMax) console.warn(`warning: --context ${context} is shorter than the env's longest observation (${envMax})`);
const policy = new TokenPolicy({ layers: num('layers'), width: num('width'), heads: num('heads'), context, seed });
const trainer = new SftTrainer(policy, demos, { learningRate: num('lr'), batchSize: num('batch'), steps: num('max-steps'), seed });
const selectEnvs = make('train', 16);
const testEnvs = make('test', 16);
console.log(`warm start ${a.env} ${JSON.stringify(envOptions)}: ${demos.length} demos, ${policy.parameterCount} params, backend ${backend}, target greedy success ${target}`);
const t0 = Date.now();
let selected = 0;
let reached = false;
trainer.train((info) => {
  if (info.step < num('eval-from') || info.step % num('eval-every') !== 0) return;
  // Selection episodes: 'train' split, seeds disjoint from the demonstrations.
  const sel = evaluateTokenPolicy(policy, selectEnvs, { episodes: num('select-episodes'), seed0: 5_000_000 + info.step * 1000 });
  selected = sel.successRate;
  console.log(`step ${info.step}  loss ${info.loss.toFixed(4)}  token acc ${info.tokenAccuracy.toFixed(3)}  greedy success (train split) ${sel.successRate.toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (sel.successRate >= target) { reached = true; return false; }
});
const test = evaluateTokenPolicy(policy, testEnvs, { episodes: num('test-episodes'), seed0: 9_000_000, keepCompletions: true });
const command = `tsx scripts/warmstart.ts ${process.argv.slice(2).join(' ')}`;
// Several listed answers: how the policy splits its probability over them on the held-out problems.
const testSeeds = Array.from({ length: num('test-episodes') }, (_, i) => 9_000_000 + i);
const masses = correctAnswerMass(policy, testEnvs[0]!, testSeeds);
let answers: Record<string, unknown> | null = null;
if (masses) {
  const k = masses[0]!.length;
  const answerOf = (seedN: number) => { testEnvs[0]!.reset({ seed: seedN }); return (testEnvs[0] as unknown as { correctAnswers(): string[] }).correctAnswers(); };
  const shares = (cs: NonNullable<typeof test.completions>) => {
    const c = new Array(k).fill(0);
    for (const e of cs) { const j = answerOf(e.seed).indexOf(e.completion); if (j >= 0) c[j]++; }
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
  'thrive.warmstart.env': a.env,
  'thrive.warmstart.envOptions': JSON.stringify(envOptions),
  'thrive.warmstart.steps': String(trainer.stepCount),
  'thrive.warmstart.trainSplitSuccess': selected.toFixed(4),
  'thrive.warmstart.testSuccess': test.successRate.toFixed(4),
  'thrive.warmstart.testEpisodes': String(test.episodes),
  'thrive.warmstart.command': command,
  ...(answerWeights ? { 'thrive.warmstart.answerMix': JSON.stringify(answerWeights) } : {}),
  ...(answers ? { 'thrive.warmstart.answers': JSON.stringify(answers) } : {}),
});
console.log(`${reached ? 'reached' : 'did NOT reach'} target ${target}; held-out greedy success ${test.successRate.toFixed(3)} over ${test.episodes} episodes; saved ${out}`);
for (const s of test.samples) console.log(`  seed ${s.seed}: ${s.message}`);
console.log(JSON.stringify({ env: a.env, envOptions, out, steps: trainer.stepCount, reachedTarget: reached, trainSplitSuccess: selected, testSuccess: test.successRate, testEpisodes: test.episodes, ...(answers ? { answers } : {}), seconds: (Date.now() - t0) / 1000, command }));
trainer.dispose();
policy.dispose();
