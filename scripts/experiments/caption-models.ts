/**
 * `npx tsx scripts/experiments/caption-models.ts [--env Dungeon-v0] [--budgets 100,300,1000,3000] [--noise 0,0.1] [--seeds 5]`
 *
 * Do the learned reward models generalise to captions the judge never labelled? ONI distils the judge's
 * labels into a model so that captions never sent to the judge are rewarded too; a lookup table (retrieval)
 * cannot do that, a classifier over caption features might. Measured offline, without training a policy:
 *
 *   1. Captions of random play: `--episodes` train-split and a quarter as many test-split episodes (the
 *      regime check's rollouts), each distinct caption with the number of steps it appeared on.
 *   2. A budgeted judge: for each seed, the train episodes in a seeded order are streamed and each caption
 *      not labelled yet is labelled — by the rubric, flipped with probability `noise` (the stand-in LLM
 *      judge's noise) — until `budget` captions are labelled: frequent captions first, as online.
 *   3. Each model kind (retrieval, classification, ranking; their default configs, the seed as theirs) gets
 *      those labels as the learner thread gives them: spread evenly over `--updates` update() calls (a
 *      run's learner updates; the text-net models take their Adam steps per call with new labels).
 *   4. Scored against the noiseless rubric on every caption it was not given (predicted helpful: r_int > 0):
 *      accuracy, balanced accuracy (the mean of the true-positive and true-negative rates: helpful captions
 *      are rare), recall of the helpful ones, the accuracy weighted by how often each caption occurs, and the
 *      same on the captions that occur only on the test split. Mean [95% bootstrap CI over seeds].
 *
 * Predicting "not helpful" everywhere (the majority rule) is the floor: its balanced accuracy is 50%.
 * Writes docs/results/caption-models-<env>.json and .md (or --out DIR).
 */
import type { Schema } from '../../core/schema.ts';
import { pathToFileURL } from 'node:url';
import { flagHelp, parseFlags, runCommand, UsageError } from '../flags.ts';

const FLAGS = {
  env: { type: 'string', default: 'Dungeon-v0', nonEmpty: true, doc: 'A game env id the rubric has rules for (its captions are what is labelled).' },
  options: { type: 'record', default: {}, doc: 'Env options as JSON (not split: both splits are used).' },
  episodes: { type: 'int', default: 5000, min: 8, doc: 'Train-split episodes of random play (test split: a quarter as many).' },
  budgets: { type: 'int[]', default: [100, 300, 1000, 3000], doc: 'Captions the judge labels (each budget is its own run).' },
  noise: { type: 'string[]', default: ['0', '0.1'], doc: 'Probability that a label is flipped (0 = the rubric oracle; 0.1 = the stand-in LLM judge).' },
  models: { type: 'string[]', default: ['retrieval', 'classification', 'ranking'], doc: 'Reward model kinds.' },
  updates: { type: 'int', default: 150, min: 1, doc: 'Learner updates over which the labels arrive (oni-dungeon: 150).' },
  seeds: { type: 'int', default: 5, min: 1, doc: 'Seeds 1…N: the labelling order, the flips and the models\' own seeds.' },
  out: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'Output folder. Default: docs/results.' },
} as const satisfies Schema;

const USAGE = `usage: npx tsx scripts/experiments/caption-models.ts [--env Dungeon-v0] [--budgets 100,300,1000,3000] [--noise 0,0.1] [--seeds 5] [flags]

Label accuracy of the learned reward models on captions the judge never labelled (offline, random play).

flags:
${flagHelp(FLAGS)}`;

/** Distinct captions with the steps they occurred on. */
export type CaptionCounts = Map<string, number>;

export interface ModelScore {
  /** Captions scored (all the model was not given). */
  unseen: number;
  positives: number;
  accuracy: number;
  balancedAccuracy: number;
  /** True-positive rate on the helpful unseen captions (NaN with none). */
  recall: number;
  /** Accuracy with each caption weighted by its step count. */
  stepAccuracy: number;
}

/** Scores predictions (1 = helpful) against the oracle's labels, each caption weighted by its count for stepAccuracy. */
export function scorePredictions(truth: readonly number[], predicted: readonly number[], counts: readonly number[]): ModelScore {
  let tp = 0, tn = 0, p = 0, n = 0, right = 0, w = 0;
  truth.forEach((t, i) => {
    const ok = (predicted[i]! > 0 ? 1 : 0) === t;
    if (t === 1) { p++; if (ok) tp++; } else { n++; if (ok) tn++; }
    if (ok) right += counts[i]!;
    w += counts[i]!;
  });
  const rates = [p ? tp / p : NaN, n ? tn / n : NaN].filter(Number.isFinite);
  return {
    unseen: truth.length, positives: p, accuracy: truth.length ? (tp + tn) / truth.length : NaN,
    balancedAccuracy: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN,
    recall: p ? tp / p : NaN, stepAccuracy: w ? right / w : NaN,
  };
}

/**
 * The captions a budgeted judge labels: the episodes' messages streamed in a seeded episode order, each
 * caption not labelled yet taken, until `budget` are.
 */
export function budgetedCaptions(episodes: readonly (readonly string[])[], budget: number, rng: { int(n: number): number }): string[] {
  const order = episodes.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const taken = new Set<string>();
  for (const e of order) {
    for (const m of episodes[e]!) {
      if (taken.size >= budget) return [...taken];
      if (m && !taken.has(m)) taken.add(m);
    }
  }
  return [...taken];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCommand(async () => {
    const { values: a, positionals, help } = parseFlags(process.argv.slice(2), FLAGS);
    if (help) { console.log(USAGE); return; }
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if ('split' in a.options) throw new UsageError("--options must not set 'split': both splits are used");
    const noise = a.noise.map((x) => Number(x));
    const badNoise = a.noise.find((_, i) => !(noise[i]! >= 0 && noise[i]! < 0.5));
    if (badNoise !== undefined) throw new UsageError(`--noise takes probabilities in [0, 0.5), got '${badNoise}'`);
    if (a.budgets.some((b) => !Number.isInteger(b) || b < 1)) throw new UsageError(`--budgets takes positive integers, got ${a.budgets.join(',')}`);
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join, relative, resolve } = await import('node:path');
    const { initBackend } = await import('../../agents/index.ts');
    const { writeJson } = await import('./json-file.ts');
    const { makeEnvSync, Rng } = await import('../../envs/index.ts');
    const { captionKey, createRewardModel, rubricCoverage, rubricLabel } = await import('../../rewards/index.ts');
    const { validateModelConfig } = await import('../../rewards/config.ts');
    const { bootstrapMean } = await import('./bootstrap.ts');
    const { rollouts } = await import('./regime.ts');
    const ROOT = resolve(import.meta.dirname, '../..');
    for (const k of a.models) validateModelConfig({ kind: k }, '--models');
    const probe = makeEnvSync(a.env, a.options);
    const ctx = probe.spec;
    const gap = rubricCoverage(ctx);
    if (gap !== null) throw new UsageError(`--env ${a.env}: the rubric has no rules written for it (${gap}), so there is no oracle to score against`);
    const actions = (probe.actionSpace as { n?: number }).n;
    if (!actions) throw new UsageError(`--env ${a.env}: needs Discrete actions for random play`);
    process.env.THRIVE_BACKEND_QUIET ??= '1';
    const backend = await initBackend();
    const t0 = performance.now();
    const rng = new Rng(0);
    const random = (_obs: Float32Array, n: number) => Int32Array.from({ length: n }, () => rng.int(actions));
    const train = rollouts(a.env, { ...a.options, split: 'train' }, Array.from({ length: a.episodes }, (_, i) => i), random).map((e) => e.messages);
    const test = rollouts(a.env, { ...a.options, split: 'test' }, Array.from({ length: Math.max(1, a.episodes >> 2) }, (_, i) => i), random).map((e) => e.messages);
    const count = (eps: string[][]): CaptionCounts => { const c: CaptionCounts = new Map(); for (const e of eps) for (const m of e) if (m) c.set(m, (c.get(m) ?? 0) + 1); return c; };
    const trainCounts = count(train), testCounts = count(test);
    const all = new Map(trainCounts);
    for (const [m, c] of testCounts) all.set(m, (all.get(m) ?? 0) + c);
    const truth = new Map([...all.keys()].map((m) => [m, rubricLabel(ctx, m)]));
    const testOnly = new Set([...testCounts.keys()].filter((m) => !trainCounts.has(m)));
    console.log(`${a.env}: ${trainCounts.size} distinct train-split captions, ${testCounts.size} test-split (${testOnly.size} only there); ${[...truth.values()].filter((v) => v === 1).length} of ${all.size} helpful by the rubric`);

    type Row = { model: string; budget: number; noise: number; seed: number; labelled: number; all: ModelScore; testOnly: ModelScore; seconds: number };
    const rows: Row[] = [];
    const score = (captions: string[], predicted: Float32Array | number[]) =>
      scorePredictions(captions.map((m) => truth.get(m)!), Array.from(predicted), captions.map((m) => all.get(m)!));
    for (const budget of a.budgets) {
      for (const q of noise) {
        for (let seed = 1; seed <= a.seeds; seed++) {
          const r = new Rng(seed * 7919 + budget);
          const given = budgetedCaptions(train, budget, r);
          const flip = new Rng(seed * 104729 + budget);
          const labels = given.map((m) => { const t = truth.get(m)!; return { key: captionKey(a.env, m), caption: m, label: flip.float() < q ? 1 - t : t }; });
          const givenSet = new Set(given);
          const unseen = [...all.keys()].filter((m) => !givenSet.has(m));
          const unseenTestIdx = unseen.flatMap((m, i) => (testOnly.has(m) ? [i] : []));
          const unseenTest = unseenTestIdx.map((i) => unseen[i]!);
          const per = Math.max(1, Math.ceil(labels.length / a.updates));
          for (const kind of a.models) {
            const t1 = performance.now();
            const model = createRewardModel(validateModelConfig(kind === 'retrieval' ? { kind } : { kind, seed }));
            for (let i = 0; i < labels.length; i += per) model.update(labels.slice(i, i + per));
            const predicted = model.score(unseen);
            rows.push({
              model: kind, budget, noise: q, seed, labelled: given.length,
              all: score(unseen, predicted), testOnly: score(unseenTest, unseenTestIdx.map((i) => predicted[i]!)),
              seconds: (performance.now() - t1) / 1000,
            });
            model.dispose();
          }
        }
      }
    }
    const majority = (caps: string[]) => score(caps, caps.map(() => 0));
    const floor = { all: majority([...all.keys()]), testOnly: majority([...testOnly]) };
    const results = {
      command: `npx tsx scripts/experiments/caption-models.ts ${process.argv.slice(2).join(' ')}`.trim(),
      env: a.env, options: ctx.options, episodes: { train: a.episodes, test: Math.max(1, a.episodes >> 2) },
      captions: { train: trainCounts.size, test: testCounts.size, testOnly: testOnly.size, all: all.size, helpful: [...truth.values()].filter((v) => v === 1).length },
      floor, rows, seconds: (performance.now() - t0) / 1000, machine: { backend, node: process.version, date: new Date().toISOString() },
    };
    const outDir = a.out ? resolve(a.out) : join(ROOT, 'docs', 'results');
    mkdirSync(outDir, { recursive: true });
    const base = join(outDir, `caption-models-${a.env}`);
    writeJson(`${base}.json`, results);
    const pct = (x: { mean: number; lo: number; hi: number }) => (Number.isFinite(x.mean) ? `${(x.mean * 100).toFixed(1)} [${(x.lo * 100).toFixed(1)}, ${(x.hi * 100).toFixed(1)}]` : '–');
    const ci = (v: number[]) => pct(bootstrapMean(v.filter(Number.isFinite), { seed: 1 }));
    const lines = [
      `## Reward models on captions the judge never labelled (${a.env}, random play)`, '',
      `Command: \`${results.command}\` — ${results.captions.all} distinct captions (${results.captions.helpful} helpful by the rubric), ${results.captions.testOnly} only on the test split; ${a.seeds} seeds; ${results.seconds.toFixed(0)} s.`, '',
      `Floor (predict "not helpful" everywhere): accuracy ${(floor.all.accuracy * 100).toFixed(1)}%, balanced accuracy 50.0%, step-weighted accuracy ${(floor.all.stepAccuracy * 100).toFixed(1)}%.`, '',
      'Mean [95% bootstrap CI over seeds], %, on every caption the model was not given | on the test-only captions:', '',
      '| model | labelled | label noise | accuracy | balanced accuracy | helpful recall | step-weighted accuracy | test-only balanced accuracy |',
      '|---|---|---|---|---|---|---|---|',
    ];
    for (const kind of a.models) for (const budget of a.budgets) for (const q of noise) {
      const rs = rows.filter((r) => r.model === kind && r.budget === budget && r.noise === q);
      lines.push(`| ${kind} | ${budget} | ${q} | ${ci(rs.map((r) => r.all.accuracy))} | **${ci(rs.map((r) => r.all.balancedAccuracy))}** | ${ci(rs.map((r) => r.all.recall))} | ${ci(rs.map((r) => r.all.stepAccuracy))} | ${ci(rs.map((r) => r.testOnly.balancedAccuracy))} |`);
    }
    const md = lines.join('\n') + '\n';
    writeFileSync(`${base}.md`, md);
    console.log(md);
    console.log(`wrote ${relative(ROOT, base)}.{json,md}`);
  }, USAGE);
}
