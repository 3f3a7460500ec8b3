/**
 * Tables (markdown) and plots (SVG, via plot.ts) from a suite's raw results. Spread is always shown as
 * min–max over seeds next to the mean (3 seeds: a standard deviation would pretend to more than we know).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, type PlotSeries } from './plot.ts';
import type { JobResult, SuiteResults } from './run.ts';
import type { PrimaryMetric } from './suites.ts';
import { passAtK, type CheckpointEval } from './eval-text.ts';
import { bootstrapCrossed, bootstrapPairedDiff, type Interval } from './bootstrap.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}` : '–');
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
/** A declared item as a sentence: its final full stop added where it has none. */
const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s : `${s}.`);

/** "mean [min–max]" in percent. */
function spread(vals: number[]): string {
  if (vals.length === 0) return '–';
  if (vals.length === 1) return `${pct(vals[0]!)}`;
  return `${pct(mean(vals))} [${pct(Math.min(...vals))}–${pct(Math.max(...vals))}]`;
}

/** Trailing moving average over `w` points (shorter at the start). */
export function movingAverage(y: number[], w: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    s += y[i]!;
    if (i >= w) s -= y[i - w]!;
    out.push(s / Math.min(i + 1, w));
  }
  return out;
}

function byArm(r: SuiteResults): Array<{ name: string; label: string; jobs: JobResult[] }> {
  return r.arms.map((a) => ({ name: a.name, label: a.label, jobs: r.jobs.filter((j) => j.arm === a.name) })).filter((a) => a.jobs.length > 0);
}

function save(dir: string, file: string, svg: string): string {
  writeFileSync(join(dir, file), svg);
  return file;
}

/** The moving-mean window of training success: a twentieth of the budget's updates. */
const smoothingWindow = (r: SuiteResults) => Math.max(1, Math.round(r.budget.updates / 20));

/** Success of the sampled training rollouts against env steps, smoothed. */
function trainingPlot(r: SuiteResults, dir: string): string {
  const w = smoothingWindow(r);
  const series: PlotSeries[] = byArm(r).map((a) => {
    const n = Math.min(...a.jobs.map((j) => j.metrics.step.length));
    const x = Array.from({ length: n }, (_, i) => mean(a.jobs.map((j) => j.metrics.envSteps[i]!)));
    return { name: a.label, x, ys: a.jobs.map((j) => movingAverage(j.metrics.successRate.slice(0, n), w)) };
  });
  return save(dir, `${r.suite}-train-success.svg`, lineChartSvg({
    title: `${r.suite}: success of sampled training rollouts (moving mean over ${w} updates)`,
    xLabel: 'env steps (mean over seeds)', yLabel: 'success rate', series, yMin: 0, yMax: 1, width: 760,
  }));
}

/**
 * The first update at which a run's training success, moving mean over w updates, reaches `share`; null if
 * it never does within the run.
 */
export function updatesToThreshold(job: JobResult, share: number, w: number): number | null {
  const m = movingAverage(job.metrics.successRate, w);
  const i = m.findIndex((v) => v >= share);
  return i < 0 ? null : job.metrics.step[i]!;
}

function thresholdTable(r: SuiteResults): string | null {
  const share = r.declaration?.timeToThreshold;
  if (share === undefined) return null;
  const w = smoothingWindow(r);
  const rows = byArm(r).map((a) => {
    const t = a.jobs.map((j) => updatesToThreshold(j, share, w));
    const hit = t.filter((x): x is number => x !== null);
    return `| ${a.label} | ${hit.length}/${a.jobs.length} | ${hit.length ? `${mean(hit).toFixed(0)} [${Math.min(...hit)}–${Math.max(...hit)}]` : '–'} |`;
  });
  return [`Time to threshold: the first update at which training success (moving mean over ${w} updates) reaches ${pct(share)}% (declared):`, '',
    '| arm | seeds reaching it | updates (mean [min–max] of the seeds that reach it) |', '|---|---|---|', ...rows].join('\n');
}

/** Intrinsic-reward arms: what the annotator asked the judge and how well the learned model labels captions the judge never saw. */
function annotatorTable(r: SuiteResults): string | null {
  const lastOf = (j: JobResult, k: string) => { const v = (j.metrics.extra[k] ?? []).filter(Number.isFinite); return v.length ? v.at(-1)! : NaN; };
  const arms = byArm(r).filter((a) => a.jobs.some((j) => j.metrics.extra.ann_captionsLabelled));
  if (!arms.length) return null;
  const cell = (a: (typeof arms)[number], k: string, f: (x: number) => string) => {
    const v = a.jobs.map((j) => lastOf(j, k)).filter(Number.isFinite);
    return v.length ? `${f(mean(v))} [${f(Math.min(...v))}–${f(Math.max(...v))}]` : '–';
  };
  const n = (x: number) => x.toFixed(0);
  return ['Annotator at the end of each run (mean [min–max] over seeds): captions the judge labelled; label requests sent; the learned model\'s accuracy and balanced accuracy on captions the judge never labelled (against the rubric, %):', '',
    '| arm | captions labelled | requests sent | model accuracy, held-out labelled captions | unseen captions | unseen accuracy | unseen balanced accuracy |', '|---|---|---|---|---|---|---|',
    ...arms.map((a) => `| ${a.label} | ${cell(a, 'ann_captionsLabelled', n)} | ${cell(a, 'ann_captionsSent', n)} | ${cell(a, 'rm_heldOutAccuracy', pct)} | ${cell(a, 'rm_unseenCaptions', n)} | ${cell(a, 'rm_unseenAccuracy', pct)} | ${cell(a, 'rm_unseenBalancedAccuracy', pct)} |`)].join('\n');
}

function trainingTable(r: SuiteResults): string {
  const rows = byArm(r).map((a) => {
    const first = a.jobs.map((j) => j.summary.successRateFirst as number);
    const last = a.jobs.map((j) => j.summary.successRateLast as number);
    const steps = mean(a.jobs.map((j) => j.summary.envSteps as number));
    const wall = a.jobs.map((j) => j.wallSeconds);
    const hi = last.filter((v) => v >= 0.8).length, lo = last.filter((v) => v <= 0.2).length;
    return `| ${a.label} | ${a.jobs.length} | ${spread(first)} | **${spread(last)}** | ${hi}/${a.jobs.length} | ${lo}/${a.jobs.length} | ${(steps / 1000).toFixed(0)}k | ${mean(wall).toFixed(0)} |`;
  });
  return [
    '| arm | seeds | success, first 10% of updates | success, last 10% of updates | seeds ≥ 80% | seeds ≤ 20% | env steps | wall s / run |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function evalTables(r: SuiteResults, dir: string): string[] {
  const warm = r.warmStart!;
  const ev = r.eval!;
  const out: string[] = [];
  const arms = byArm(r).filter((a) => a.jobs.every((j) => j.eval && j.eval.length > 0));
  const curve = (a: (typeof arms)[number], f: (e: NonNullable<JobResult['eval']>[number]) => number, w: number) => {
    const n = Math.min(...a.jobs.map((j) => j.eval!.length));
    return { x: [0, ...a.jobs[0]!.eval!.slice(0, n).map((e) => e.update)], ys: a.jobs.map((j) => [w, ...j.eval!.slice(0, n).map(f)]) };
  };
  const kMax = Math.max(...ev.ks);
  const plots = [
    save(dir, `${r.suite}-greedy.svg`, lineChartSvg({
      title: `${r.suite}: held-out greedy success (${ev.problems} test problems)`, xLabel: 'updates (0 = warm start)', yLabel: 'greedy success',
      series: arms.map((a) => ({ name: a.label, ...curve(a, (e) => e.greedy, warm.greedy) })), yMin: 0, width: 760,
    })),
    save(dir, `${r.suite}-pass-at-${kMax}.svg`, lineChartSvg({
      title: `${r.suite}: held-out pass@${kMax} (n = ${ev.n} samples, T = 1)`, xLabel: 'updates (0 = warm start)', yLabel: `pass@${kMax}`,
      series: arms.map((a) => ({ name: a.label, ...curve(a, (e) => e.passAtK[String(kMax)]!, warm.passAtK[String(kMax)]!) })), yMin: 0, width: 760,
    })),
    save(dir, `${r.suite}-pass-at-k.svg`, lineChartSvg({
      title: `${r.suite}: held-out pass@k after the last update`, xLabel: 'k', yLabel: 'pass@k',
      series: [
        { name: 'warm start', x: ev.ks, ys: [ev.ks.map((k) => warm.passAtK[String(k)]!)] },
        ...arms.map((a) => ({ name: a.label, x: ev.ks, ys: a.jobs.map((j) => ev.ks.map((k) => j.eval!.at(-1)!.passAtK[String(k)]!)) })),
      ], yMin: 0, width: 760,
    })),
  ];
  out.push(plots.map((p) => `![${p}](results/${r.quick ? 'quick/' : ''}${p})`).join('\n'));
  // Final checkpoint: greedy, Δ vs warm start, pass@k.
  const comps = Object.keys(warm.greedyComponents);
  const head = ['arm', 'seeds', 'greedy', 'Δ greedy vs warm (points)', ...ev.ks.map((k) => `pass@${k}`), ...comps.map((c) => `greedy ${c}`), 'train s', 'eval s'];
  const rows = [
    `| warm start | – | ${pct(warm.greedy)} | – | ${ev.ks.map((k) => pct(warm.passAtK[String(k)]!)).join(' | ')}${comps.length ? ' | ' + comps.map((c) => pct(warm.greedyComponents[c]!)).join(' | ') : ''} | – | ${warm.seconds.toFixed(0)} |`,
    ...arms.map((a) => {
      const last = a.jobs.map((j) => j.eval!.at(-1)!);
      const d = last.map((e) => (e.greedy - warm.greedy) * 100);
      return `| ${a.label} (update ${last[0]!.update}) | ${a.jobs.length} | **${spread(last.map((e) => e.greedy))}** | ${mean(d).toFixed(1)} [${Math.min(...d).toFixed(1)}…${Math.max(...d).toFixed(1)}] | ${ev.ks.map((k) => spread(last.map((e) => e.passAtK[String(k)]!))).join(' | ')}${comps.length ? ' | ' + comps.map((c) => spread(last.map((e) => e.greedyComponents[c] ?? NaN))).join(' | ') : ''} | ${mean(a.jobs.map((j) => j.wallSeconds)).toFixed(0)} | ${mean(a.jobs.map((j) => j.evalSeconds)).toFixed(0)} |`;
    }),
  ];
  out.push(`Held-out (test split, ${ev.problems} problems, greedy and n = ${ev.n} samples at temperature 1 per problem), after the last update; mean [min–max] over seeds, in %:\n\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.join('\n')}`);
  // Greedy and pass@kMax along training.
  const ups = arms[0] ? curve(arms[0], (e) => e.greedy, warm.greedy).x : [];
  const along = (f: (e: NonNullable<JobResult['eval']>[number]) => number, w: number, what: string) => [
    `${what} along training (mean [min–max] over seeds, %):`, '',
    `| arm | ${ups.map((u) => `upd ${u}`).join(' | ')} |`, `|---|${ups.map(() => '---').join('|')}|`,
    ...arms.map((a) => { const c = curve(a, f, w); return `| ${a.label} | ${c.x.map((_, i) => spread(c.ys.map((y) => y[i]!))).join(' | ')} |`; }),
  ].join('\n');
  out.push(along((e) => e.greedy, warm.greedy, 'Held-out greedy success'));
  out.push(along((e) => e.passAtK[String(kMax)]!, warm.passAtK[String(kMax)]!, `Held-out pass@${kMax}`));
  return out;
}

/** The per-problem values of a primary metric in one checkpoint evaluation, or null if it lacks them. */
export function perProblemValues(e: CheckpointEval, m: PrimaryMetric, n: number): number[] | null {
  const pp = e.perProblem;
  if (!pp) return null;
  switch (m.kind) {
    case 'answerMass': return pp.mass ? pp.mass.map((row) => row[m.answer] ?? 0) : null;
    case 'sampledAnswerShare': return pp.answerCounts ? pp.answerCounts.map((row) => (row[m.answer] ?? 0) / n) : null;
    case 'passAtK': return pp.correct.map((c) => passAtK(n, c, m.k));
    case 'greedy': return pp.greedy;
    case 'distinctCorrect': return pp.distinct;
  }
}

const ci = (x: Interval, scale: number, digits: number) => Number.isFinite(x.mean)
  ? `${(x.mean * scale).toFixed(digits)} [${(x.lo * scale).toFixed(digits)}, ${(x.hi * scale).toFixed(digits)}]` : '–';

/** Shares in %, with one decimal; counts with two. */
function units(m: PrimaryMetric): { scale: number; digits: number; unit: string } {
  return m.kind === 'distinctCorrect' ? { scale: 1, digits: 2, unit: '' } : { scale: 100, digits: 1, unit: ' (%)' };
}

/** An arm's seeds × problems table of the metric after the last update. */
const lastTable = (a: ReturnType<typeof byArm>[number], m: PrimaryMetric, n: number) =>
  a.jobs.map((j) => perProblemValues(j.eval!.at(-1)!, m, n)).filter((v): v is number[] => v !== null);

/** One table row per arm: the metric after the last update with its CI, and its paired difference to `base`. */
function lastRows(arms: ReturnType<typeof byArm>, base: ReturnType<typeof byArm>[number] | undefined, m: PrimaryMetric, n: number): string[] {
  const { scale, digits } = units(m);
  const lastOf = (a: ReturnType<typeof byArm>[number]) => lastTable(a, m, n);
  const baseLast = base ? lastOf(base) : [];
  return arms.map((a) => {
    const last = lastOf(a);
    const diff = base && a !== base && last.length && baseLast.length ? ci(bootstrapPairedDiff(last, baseLast), scale, digits) : '–';
    return `| ${a.label} | ${last.length} | **${ci(bootstrapCrossed(last), scale, digits)}** | ${diff} |`;
  });
}

/** The declared primary metric (and the secondary per-answer figures) with 95% bootstrap intervals over seeds × problems. */
function primaryTables(r: SuiteResults): string[] {
  const d = r.declaration;
  if (!d?.metric || !r.eval) return [];
  const n = r.eval.n;
  // A --quick evaluation draws fewer samples than the declared pass@k needs: report pass@n instead, and say so.
  const capped = d.metric.kind === 'passAtK' && d.metric.k > n;
  const m = capped ? { ...d.metric, k: n } : d.metric;
  const { scale, digits, unit } = units(m);
  const arms = byArm(r).filter((a) => a.jobs.every((j) => j.eval && j.eval.length > 0));
  const table = (j: JobResult, idx: number) => perProblemValues(j.eval![idx]!, m, n);
  const w = r.warmStart;
  const warm = w ? perProblemValues(w, m, n) : null;
  // The reference arm: GRPO in the THR suites; the first arm (extrinsic only) where there is no 'grpo'.
  const base = arms.find((a) => a.name === 'grpo') ?? arms[0];
  const rows = lastRows(arms, base, m, n);
  // Regime check (the protocol's step 2): what makes the effect possible, measured on the warm start and the runs.
  const colMean = (key: string, from: number, to: number) => {
    const v = r.jobs.flatMap((j) => (j.metrics.extra[key] ?? []).slice(from, to)).filter(Number.isFinite);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  const regime = w ? [
    `warm start: held-out greedy ${pct(w.greedy)}%, sampled success at T = 1 ${pct(w.sampled)}%`,
    ...(w.answerMass ? [`probability on each listed answer ${w.answerMass.map((x) => `${pct(x)}%`).join(' / ')} (the favoured one holds ${pct(w.answerMass[0]! / w.answerMass.reduce((a, b) => a + b, 0))}% of the correct mass)`] : []),
    `distinct correct completions per problem among n = ${n}: ${w.distinctCorrect?.toFixed(2) ?? '–'}`,
    `first 10 updates, all runs: zero-variance groups ${pct(colMean('learner_zeroStdFraction', 0, 10))}%, tokens selected as dominant ${pct(colMean('learner_thrSelected', 0, 10))}%, entropy ${colMean('learner_entropy', 0, 10).toFixed(3)} nats; over all updates, THR sign differing between the behaviour and the learner weights ${pct(colMean('learner_thrSignDisagreement', 0, Infinity))}% of tokens`,
  ] : [
    `no warm start (trained from scratch); groups whose rewards all tie (GRPO learns nothing from them), all runs: ${pct(colMean('learner_zeroStdFraction', 0, 10))}% over the first 10 updates, ${pct(colMean('learner_zeroStdFraction', 0, Infinity))}% over all`,
  ];
  const refLabel = base ? base.label : 'the first arm';
  const out = [
    `**Regime check.** ${regime.join('; ')}.`,
    `**Declared before the runs.** Claim: ${d.claim} (${d.sources.join('; ')}). Primary metric: ${d.primaryMetric}. Budget: ${d.budget}. Counts against the claim: ${d.against.map(sentence).join(' ')}${d.controls ? ` Controls: ${sentence(d.controls)}` : ''}`,
    [`Primary metric${unit}: ${d.primaryMetric}${capped ? ` (here pass@${n}: this evaluation drew only n = ${n} samples)` : ''}. Mean [95% bootstrap CI over seeds × ${r.eval.problems} problems]; Δ vs ${refLabel} with problems paired:`, '',
      `| arm | seeds | after the last update | Δ vs ${refLabel} |`, '|---|---|---|---|',
      ...(w ? [`| warm start | – | ${warm ? ci(bootstrapCrossed([warm]), scale, digits) : '–'} | – |`] : []), ...rows].join('\n'),
  ];
  // The contrasts the claim turns on, where both arms have runs.
  const pairs = (d.contrasts ?? []).flatMap((c) => {
    const a = arms.find((x) => x.name === c.arm), b = arms.find((x) => x.name === c.minus);
    const ta = a ? lastTable(a, m, n) : [], tb = b ? lastTable(b, m, n) : [];
    return a && b && ta.length && tb.length ? [{ a, b, ta, tb }] : [];
  });
  if (pairs.length) {
    out.push([`Declared contrasts${unit}, after the last update: arm − other arm, mean [95% bootstrap CI], problems paired, seeds resampled within each arm:`, '',
      '| contrast | seeds | Δ |', '|---|---|---|',
      ...pairs.map(({ a, b, ta, tb }) => `| ${a.label} − ${b.label} | ${ta.length} vs ${tb.length} | ${ci(bootstrapPairedDiff(ta, tb), scale, digits)} |`)].join('\n'));
  }
  // Declared secondary metrics, tabulated the same way.
  for (const s of d.secondaryMetrics ?? []) {
    const u = units(s.metric), sw = w ? perProblemValues(w, s.metric, n) : null;
    out.push([`Secondary: ${s.name}${u.unit}, after the last update. Mean [95% bootstrap CI over seeds × ${r.eval.problems} problems]; Δ vs ${refLabel} with problems paired:`, '',
      `| arm | seeds | after the last update | Δ vs ${refLabel} |`, '|---|---|---|---|',
      ...(sw ? [`| warm start | – | ${ci(bootstrapCrossed([sw]), u.scale, u.digits)} | – |`] : []), ...lastRows(arms, base, s.metric, n)].join('\n'));
  }
  // Along training: the primary metric at every evaluated checkpoint.
  if (arms[0]) {
    const ups = arms[0].jobs[0]!.eval!.map((e) => e.update);
    out.push([`Primary metric${unit} along training (mean [95% CI]):`, '',
      `| arm | ${ups.map((u) => `upd ${u}`).join(' | ')} |`, `|---|${ups.map(() => '---').join('|')}|`,
      ...arms.map((a) => `| ${a.label} | ${ups.map((_, i) => {
        const v = a.jobs.map((j) => (j.eval![i] ? table(j, i) : null)).filter((x): x is number[] => x !== null);
        return v.length ? ci(bootstrapCrossed(v, { B: 500 }), scale, digits) : '–';
      }).join(' | ')} |`)].join('\n'));
  }
  // Tasks with listed answers: every answer's mass and sampled share at the end.
  if (r.warmStart?.answerMass) {
    const k = r.warmStart.answerMass.length;
    const head = ['arm', ...Array.from({ length: k }, (_, j) => `mass answer ${j}`), ...Array.from({ length: k }, (_, j) => `sampled share answer ${j}`), 'greedy', 'distinct correct / problem'];
    const fmt = (es: CheckpointEval[]) => [
      ...Array.from({ length: k }, (_, j) => spread(es.map((e) => e.answerMass?.[j] ?? NaN))),
      ...Array.from({ length: k }, (_, j) => spread(es.map((e) => e.sampledAnswerShare?.[j] ?? NaN))),
      spread(es.map((e) => e.greedy)), es.map((e) => e.distinctCorrect).reduce((a, b) => a + b, 0) / es.length,
    ];
    out.push([`Every listed answer after the last update (mean [min–max] over seeds, %; answer 0 = the favoured one):`, '',
      `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`,
      `| warm start | ${fmt([r.warmStart]).map((x) => (typeof x === 'number' ? x.toFixed(2) : x)).join(' | ')} |`,
      ...arms.map((a) => `| ${a.label} | ${fmt(a.jobs.map((j) => j.eval!.at(-1)!)).map((x) => (typeof x === 'number' ? x.toFixed(2) : x)).join(' | ')} |`)].join('\n'));
  }
  return out;
}

/** The invocations that made the runs (each job records its own), when they are not all the header's command. */
function madeBy(r: SuiteResults): string | null {
  const counts = new Map<string, number>();
  for (const j of r.jobs) counts.set(j.command ?? '', (counts.get(j.command ?? '') ?? 0) + 1);
  if (counts.size === 1 && (counts.has(r.command) || counts.has(''))) return null;
  const items = [...counts].map(([c, n]) => (c ? `\`${c}\` (${n})` : `${n} by a command not recorded (run before jobs recorded theirs)`));
  return `Runs made by: ${items.join('; ')}.`;
}

export function report(r: SuiteResults, dir: string): string {
  const by = madeBy(r);
  const parts: string[] = [`## ${r.title}${r.quick ? ' (QUICK SMOKE — not results)' : ''}`, `Command: \`${r.command}\` — ${r.jobs.length} runs, budget ${r.budget.updates} updates each, ${r.machine.cpus} cores, ${r.machine.date}.${by ? ` ${by}` : ''}`];
  if (r.jobs.length === 0) return parts.join('\n') + '\n\nNo finished runs.\n';
  parts.push(...primaryTables(r));
  if (r.eval && r.warmStart) parts.push(...evalTables(r, dir));
  const tp = trainingPlot(r, dir);
  parts.push(`Training rollouts (sampled, train split):\n\n![${tp}](results/${r.quick ? 'quick/' : ''}${tp})\n\n${trainingTable(r)}`);
  for (const t of [thresholdTable(r), annotatorTable(r)]) if (t) parts.push(t);
  return parts.join('\n\n') + '\n';
}
