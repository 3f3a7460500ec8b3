/**
 * The report of the tool-reward suites (suite-tools.ts): the declaration first, then the regime check of
 * the warm start, then the held-out results with 95% bootstrap CIs over seeds × problems (bootstrap.ts),
 * contrasts against the answer-only arm, per-component accuracy, malformed-call rate, ood success and
 * success by problem kind; a plot of held-out greedy success along training.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from './plot.ts';
import { bootstrapNested, bootstrapPairedDiff, type Interval } from './bootstrap.ts';
import type { JobResult, SuiteResults } from './run.ts';
import type { ModeStats, ToolCheckpointEval } from './eval-tools.ts';

const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '–');
const ci = (i: Interval) => `${pct(i.mean)} [${pct(i.lo)}, ${pct(i.hi)}]`;
const pts = (i: Interval) => `${i.mean >= 0 ? '+' : ''}${(i.mean * 100).toFixed(1)} [${(i.lo * 100).toFixed(1)}, ${(i.hi * 100).toFixed(1)}]`;
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

interface ArmJobs { name: string; label: string; jobs: JobResult[] }

function arms(r: SuiteResults): ArmJobs[] {
  return r.arms.map((a) => ({ name: a.name, label: a.label, jobs: r.jobs.filter((j) => j.arm === a.name && j.eval && j.eval.length > 0) })).filter((a) => a.jobs.length > 0);
}

const lastEval = (j: JobResult) => j.eval!.at(-1) as ToolCheckpointEval;
/** Per-problem scores in [0, 1] (successes / samples) of one mode. */
const scores = (m: ModeStats, n: number) => m.perProblem.map((c) => c / n);

/** Nested bootstrap over this arm's seeds × problems of a per-problem score. */
function armInterval(a: ArmJobs, pick: (e: ToolCheckpointEval) => number[] | null): Interval | null {
  const groups = a.jobs.map((j) => pick(lastEval(j))).filter((g): g is number[] => g !== null && g.length > 0);
  return groups.length ? bootstrapNested(groups) : null;
}

const greedyScores = (e: ToolCheckpointEval) => scores(e.heldOut.greedy, 1);
const sampledScores = (n: number) => (e: ToolCheckpointEval) => scores(e.heldOut.sampled, n);

function declarationSection(r: SuiteResults): string {
  const d = r.declaration;
  if (!d) return '';
  return [
    '**Declared before the runs** (scripts/experiments/suite-tools.ts):', '',
    `- Claim: ${d.claim}`,
    `- Sources: ${d.sources.join('; ')}`,
    `- Primary metric: ${d.primaryMetric}`,
    `- Secondary: ${d.secondary.join('; ')}`,
    `- Arms: ${d.arms}`,
    `- Budget: ${d.budget}; seeds: ${d.seeds} (the same for every arm)`,
    `- Regime check: ${d.regime}`,
    `- Counts against: ${d.against.join(' ')}`,
    ...reusedNote(r),
  ].join('\n');
}

/** Arms whose jobs are another suite's runs of the same config (Arm.sameRunAs), named so a reader knows. */
function reusedNote(r: SuiteResults): string[] {
  const from = [...new Set(r.jobs.filter((j) => j.reusedFrom).map((j) => `'${j.arm}' = the runs of ${j.reusedFrom}`))];
  return from.length ? [`- Reused runs (same config and seeds, not trained again): ${from.join('; ')}`] : [];
}

function regimeSection(r: SuiteResults): string {
  const w = r.warmStart as ToolCheckpointEval | null;
  if (!w || !w.heldOut) return '';
  const n = (r.eval as unknown as { n: number }).n;
  const kinds = (m: ModeStats) => Object.entries(m.byKind).map(([k, v]) => `${k} ${pct(v!.success)}`).join(', ');
  const zv = Object.entries(w.heldOut.zeroVariance).map(([k, v]) => `${k} ${pct(v)}%`).join(', ');
  return [
    `Regime check of the warm start (before training; ${w.heldOut.greedy.perProblem.length} held-out problems):`, '',
    `- greedy success ${pct(w.heldOut.greedy.success)}% [${pct(w.heldOut.greedy.ci[0])}, ${pct(w.heldOut.greedy.ci[1])}] (${kinds(w.heldOut.greedy)})`,
    `- sampled success at the training temperature T = ${w.temperature}: ${pct(w.heldOut.sampled.success)}% [${pct(w.heldOut.sampled.ci[0])}, ${pct(w.heldOut.sampled.ci[1])}] (${kinds(w.heldOut.sampled)}); malformed-call rate ${pct(w.heldOut.sampled.malformedRate)}%`,
    `- problems whose ${n} samples all get the same reward (no GRPO signal): ${zv}`,
    w.ood ? `- ood (a parenthesised group in the calc expression, never trained on): greedy ${pct(w.ood.greedy.success)}%, sampled ${pct(w.ood.sampled.success)}%` : '',
  ].filter(Boolean).join('\n');
}

function mainTable(r: SuiteResults): string {
  const w = r.warmStart as ToolCheckpointEval;
  const n = (r.eval as unknown as { n: number }).n;
  const all = arms(r);
  const head = ['arm', 'seeds', 'greedy', 'Δ vs warm (points)', `sampled (T = ${w.temperature})`, 'ood greedy', 'ood sampled', 'malformed (sampled)'];
  const warmG = greedyScores(w);
  const rows = [
    `| warm start | – | ${pct(w.heldOut.greedy.success)} | – | ${pct(w.heldOut.sampled.success)} | ${w.ood ? pct(w.ood.greedy.success) : '–'} | ${w.ood ? pct(w.ood.sampled.success) : '–'} | ${pct(w.heldOut.sampled.malformedRate)} |`,
    ...all.map((a) => {
      const g = armInterval(a, greedyScores)!;
      // Δ vs the warm start, paired by problem: per seed, per problem (checkpoint − warm start).
      const d = bootstrapNested(a.jobs.map((j) => greedyScores(lastEval(j)).map((v, i) => v - warmG[i]!)));
      const s = armInterval(a, sampledScores(n))!;
      const og = armInterval(a, (e) => (e.ood ? scores(e.ood.greedy, 1) : null));
      const os = armInterval(a, (e) => (e.ood ? scores(e.ood.sampled, (r.eval as unknown as { oodN: number }).oodN) : null));
      const mal = mean(a.jobs.map((j) => lastEval(j).heldOut.sampled.malformedRate));
      return `| ${a.label} | ${a.jobs.length} | **${ci(g)}** | ${pts(d)} | ${ci(s)} | ${og ? ci(og) : '–'} | ${os ? ci(os) : '–'} | ${pct(mal)} |`;
    }),
  ];
  return [
    `Held-out success after update ${r.budget.updates} (test split; mean over seeds, 95% bootstrap CI over seeds × problems, %):`, '',
    `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows,
  ].join('\n');
}

/**
 * Declared contrasts beyond the reference arm: [arm, against]. The reference arm is 'answer' in the reward
 * suites and the GRPO arm (the first) in the THR suites.
 */
const EXTRA_CONTRASTS: Array<[string, string]> = [['toolrl-dynamic', 'toolrl']];

function contrastTable(r: SuiteResults): string {
  const all = arms(r);
  const ref = all.find((a) => a.name === 'answer') ?? all[0];
  if (!ref || all.length < 2) return '';
  const g = (a: ArmJobs) => a.jobs.map((j) => greedyScores(lastEval(j)));
  // Every arm is evaluated on the same held-out problems: the difference is taken with problems paired.
  const row = (a: ArmJobs, b: ArmJobs, label: string) => {
    const d = bootstrapPairedDiff(g(a), g(b));
    const verdict = d.lo > 0 ? 'higher' : d.hi < 0 ? 'lower' : 'no difference seen';
    return `| ${label} | ${pts(d)} | ${verdict} | ${((d.hi - d.lo) * 50).toFixed(1)} |`;
  };
  const extra = EXTRA_CONTRASTS.map(([x, y]) => [all.find((a) => a.name === x), all.find((a) => a.name === y)] as const)
    .filter((p): p is readonly [ArmJobs, ArmJobs] => p[0] !== undefined && p[1] !== undefined && p[1] !== ref);
  return [
    `Held-out greedy success against '${ref.label}' (Δ in points, 95% bootstrap CI over seeds × problems, problems paired; the half-width is about the smallest difference this study could see):`, '',
    '| arm | Δ greedy | reading | CI half-width (points) |', '|---|---|---|---|',
    ...all.filter((a) => a !== ref).map((a) => row(a, ref, a.label)),
    ...extra.map(([a, b]) => row(a, b, `${a.label} − ${b.label}`)),
  ].join('\n');
}

function componentTable(r: SuiteResults): string {
  const w = r.warmStart as ToolCheckpointEval;
  const keys = ['format', 'toolName', 'paramNames', 'paramValues', 'args', 'answered', 'answer'];
  const kinds = ['calc', 'lookup', 'chain'] as const;
  const row = (label: string, evals: ToolCheckpointEval[]) => {
    const c = keys.map((k) => pct(mean(evals.map((e) => e.heldOut.greedy.components[k] ?? NaN))));
    const kk = kinds.map((k) => pct(mean(evals.map((e) => e.heldOut.greedy.byKind[k]?.success ?? NaN))));
    return `| ${label} | ${c.join(' | ')} | ${kk.join(' | ')} |`;
  };
  return [
    'Per-component accuracy and success by problem kind, greedy, after the last update (mean over seeds, %):', '',
    `| arm | ${keys.join(' | ')} | ${kinds.map((k) => `${k} success`).join(' | ')} |`, `|---|${[...keys, ...kinds].map(() => '---').join('|')}|`,
    row('warm start', [w]),
    ...arms(r).map((a) => row(a.label, a.jobs.map(lastEval))),
  ].join('\n');
}

function alongTable(r: SuiteResults, dir: string): string {
  const w = r.warmStart as ToolCheckpointEval;
  const all = arms(r);
  if (all.length === 0) return '';
  const ups = [0, ...all[0]!.jobs[0]!.eval!.map((e) => e.update)];
  const curve = (a: ArmJobs) => a.jobs.map((j) => [w.greedy, ...j.eval!.map((e) => e.greedy)]);
  const file = `${r.suite}-greedy.svg`;
  writeFileSync(join(dir, file), lineChartSvg({
    title: `${r.suite}: held-out greedy success (${w.heldOut.greedy.perProblem.length} test problems)`, xLabel: 'updates (0 = warm start)', yLabel: 'greedy success',
    series: all.map((a) => ({ name: a.label, x: ups, ys: curve(a) })), yMin: 0, width: 760,
  }));
  const cell = (vals: number[]) => `${pct(mean(vals))} [${pct(Math.min(...vals))}–${pct(Math.max(...vals))}]`;
  return [
    `![${file}](results/${r.quick ? 'quick/' : ''}${file})`, '',
    'Held-out greedy success along training (mean [min–max] over seeds, %):', '',
    `| arm | ${ups.map((u) => `upd ${u}`).join(' | ')} |`, `|---|${ups.map(() => '---').join('|')}|`,
    ...all.map((a) => { const c = curve(a); return `| ${a.label} | ${ups.map((_, i) => cell(c.map((y) => y[i]!))).join(' | ')} |`; }),
  ].join('\n');
}

function trainingTable(r: SuiteResults): string {
  const rows = r.arms.map((a) => {
    const jobs = r.jobs.filter((j) => j.arm === a.name);
    if (jobs.length === 0) return null;
    const first = jobs.map((j) => j.summary.successRateFirst as number);
    const last = jobs.map((j) => j.summary.successRateLast as number);
    const zs = jobs.map((j) => mean((j.metrics.extra.learner_zeroStdFraction ?? [NaN]).filter(Number.isFinite)));
    return `| ${a.label} | ${jobs.length} | ${pct(mean(first))} | ${pct(mean(last))} | ${pct(mean(zs))} | ${(mean(jobs.map((j) => j.summary.envSteps as number)) / 1000).toFixed(0)}k | ${mean(jobs.map((j) => j.wallSeconds)).toFixed(0)} | ${mean(jobs.map((j) => j.evalSeconds)).toFixed(0)} |`;
  }).filter(Boolean);
  return [
    'Training rollouts (sampled at the training temperature, train split; mean over seeds):', '',
    '| arm | seeds | success, first 10% of updates | success, last 10% | zero-variance groups | env steps | train s / run | eval s / run |',
    '|---|---|---|---|---|---|---|---|', ...rows,
  ].join('\n');
}

export function reportTools(r: SuiteResults, dir: string): string {
  const parts = [
    `## ${r.title}${r.quick ? ' (QUICK SMOKE — not results)' : ''}`,
    `Command: \`${r.command}\` — ${r.jobs.length} runs, ${r.budget.updates} updates each, ${r.machine.cpus} cores, ${r.machine.date}.`,
    declarationSection(r),
    regimeSection(r),
  ];
  if (r.jobs.length > 0 && r.warmStart) {
    parts.push(mainTable(r), contrastTable(r), componentTable(r), alongTable(r, dir));
  }
  if (r.jobs.length > 0) parts.push(trainingTable(r));
  else parts.push('No finished runs.');
  return parts.filter(Boolean).join('\n\n') + '\n';
}

