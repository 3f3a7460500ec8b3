/**
 * Comparing finished (or running) runs side by side, from their run directories alone: summary.json
 * (status, totals), metrics.jsonl (final and best of the key metrics) and config.json (flattened to dotted
 * keys; only the keys whose values differ are shown). `npm run compare -- runA runB …` prints it.
 *
 * final = the mean of the last `window` update records; best = the best mean over any `window` consecutive
 * updates (a moving average, so one lucky update does not count as the best), with the update it ends at.
 * Per-update success rates of sampled rollouts are noisy: compare finals over a window, and several seeds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isPlainObject } from '../core/schema.ts';
import { fixed, formatTable, type Cell } from './table.ts';

/** The metrics compared by default, and which way is better (null: no "best", e.g. entropy). */
export const COMPARE_METRICS: ReadonlyArray<{ key: string; better: 'max' | 'min' | null }> = [
  { key: 'successRate', better: 'max' },
  { key: 'returnMean', better: 'max' },
  { key: 'extrinsicMean', better: 'max' },
  { key: 'intrinsicMean', better: null },
  { key: 'episodeLength', better: null },
  { key: 'learner_loss', better: null },
  { key: 'learner_entropy', better: null },
  { key: 'learner_klOld', better: null },
  { key: 'learner_clipFraction', better: null },
  { key: 'policyLag', better: null },
  { key: 'stepsPerSec', better: null },
];

export interface MetricView {
  final: number | null;
  best: number | null;
  /** The update (metrics `step`) at which the best window ends. */
  bestStep: number | null;
}

export interface RunView {
  dir: string;
  /** A short column label: the directory's name. */
  label: string;
  status: string | null;
  env: string | null;
  updates: number | null;
  envSteps: number | null;
  elapsedSeconds: number | null;
  records: number;
  metrics: Record<string, MetricView>;
  /** config.json flattened to dotted keys. */
  config: Record<string, unknown>;
}

export interface Comparison {
  window: number;
  runs: RunView[];
  /** Config keys whose values differ between runs, with each run's value (undefined: the key is absent). */
  configDiff: Record<string, unknown[]>;
}

/** {a: {b: 1}, c: [1, 2]} → {'a.b': 1, c: [1, 2]} (arrays stay values). */
export function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

function readJson(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return isPlainObject(v) ? v : null;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function readMetrics(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return [];
  const out: Array<Record<string, unknown>> = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line) as Record<string, unknown>); } catch { /* a line cut short by a crash */ }
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** final and best (moving average over `window` updates) of one metric column. */
export function metricView(records: ReadonlyArray<Record<string, unknown>>, key: string, better: 'max' | 'min' | null, window: number): MetricView | null {
  const pts = records.map((r) => ({ step: num(r.step), v: num(r[key]) })).filter((p): p is { step: number | null; v: number } => p.v !== null);
  if (pts.length === 0) return null;
  const w = Math.max(1, Math.min(window, pts.length));
  const mean = (a: number, b: number) => { let s = 0; for (let i = a; i < b; i++) s += pts[i]!.v; return s / (b - a); };
  const final = mean(pts.length - w, pts.length);
  if (!better) return { final, best: null, bestStep: null };
  let best = better === 'max' ? -Infinity : Infinity;
  let bestStep: number | null = null;
  for (let end = w; end <= pts.length; end++) {
    const m = mean(end - w, end);
    if (better === 'max' ? m > best : m < best) { best = m; bestStep = pts[end - 1]!.step; }
  }
  return { final, best, bestStep };
}

/** Reads one run directory (config.json required; summary.json and metrics.jsonl when present). */
export function readRun(dir: string, window = 10, extraMetrics: readonly string[] = []): RunView {
  const config = readJson(join(dir, 'config.json'));
  if (!config) throw new Error(`'${dir}' is not a run directory: it has no config.json`);
  const summary = readJson(join(dir, 'summary.json')) ?? {};
  const records = readMetrics(join(dir, 'metrics.jsonl'));
  const metrics: Record<string, MetricView> = {};
  const wanted = [...COMPARE_METRICS, ...extraMetrics.filter((k) => !COMPARE_METRICS.some((m) => m.key === k)).map((key) => ({ key, better: null }))];
  for (const { key, better } of wanted) {
    const v = metricView(records, key, better, window);
    if (v) metrics[key] = v;
  }
  const last = records.at(-1) ?? {};
  const env = config.env as { id?: unknown } | undefined;
  return {
    dir, label: basename(dir.replace(/[\\/]+$/, '')) || dir,
    status: typeof summary.status === 'string' ? summary.status : records.length ? 'no summary (running or killed?)' : null,
    env: typeof summary.env === 'string' ? summary.env : typeof env?.id === 'string' ? env.id : null,
    updates: num(summary.updates) ?? num(last.step), envSteps: num(summary.envSteps) ?? num(last.envSteps),
    elapsedSeconds: num(summary.elapsedSeconds) ?? num(last.time), records: records.length, metrics, config: flatten(config),
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function compareRuns(dirs: readonly string[], opts: { window?: number; metrics?: readonly string[] } = {}): Comparison {
  if (dirs.length === 0) throw new Error('compare: name at least one run directory');
  const window = opts.window ?? 10;
  const runs = dirs.map((d) => readRun(d, window, opts.metrics ?? []));
  // Runs with the same directory name are labelled by their whole path as given.
  const dup = new Set(runs.map((r) => r.label).filter((l, i, all) => all.indexOf(l) !== i));
  for (const r of runs) if (dup.has(r.label)) r.label = r.dir;
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].sort();
  const configDiff: Record<string, unknown[]> = {};
  for (const k of keys) {
    const vals = runs.map((r) => r.config[k]);
    if (vals.some((v) => !same(v, vals[0]))) configDiff[k] = vals;
  }
  return { window, runs, configDiff };
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string') return v;
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The comparison as two aligned tables: runs as columns, metrics (final / best @ update) and config differences as rows. */
export function formatComparison(c: Comparison): string {
  const labels = c.runs.map((r) => r.label);
  const head = ['', ...labels];
  const rows: Cell[][] = [
    ['status', ...c.runs.map((r) => r.status ?? '—')],
    ['env', ...c.runs.map((r) => r.env ?? '—')],
    ['updates', ...c.runs.map((r) => r.updates)],
    ['envSteps', ...c.runs.map((r) => r.envSteps)],
    ['minutes', ...c.runs.map((r) => fixed(r.elapsedSeconds === null ? null : r.elapsedSeconds / 60, 1))],
  ];
  const keys = [...new Set(c.runs.flatMap((r) => Object.keys(r.metrics)))];
  for (const k of keys) {
    rows.push([`${k} final`, ...c.runs.map((r) => fixed(r.metrics[k]?.final, 4))]);
    if (c.runs.some((r) => r.metrics[k]?.best !== null && r.metrics[k]?.best !== undefined)) {
      rows.push([`${k} best`, ...c.runs.map((r) => {
        const m = r.metrics[k];
        return m && m.best !== null ? `${fixed(m.best, 4)} @${m.bestStep ?? '?'}` : '—';
      })]);
    }
  }
  const parts = [`metrics: final = mean of the last ${c.window} updates; best = best ${c.window}-update mean @ the update it ends at`, formatTable(head, rows)];
  const diff = Object.entries(c.configDiff);
  parts.push(diff.length
    ? `config differences (${diff.length} key${diff.length > 1 ? 's' : ''}):\n${formatTable(['key', ...labels], diff.map(([k, vs]) => [k, ...vs.map(show)]))}`
    : 'config: no differences');
  return parts.join('\n\n');
}
