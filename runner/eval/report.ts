/**
 * An evaluation as a terminal table, CSV rows (one per target × pass) and the JSON document `--out x.json`
 * writes. The files record paths relative to the current directory when they lie under it, so results
 * can be committed without this machine's absolute paths.
 */
import { isAbsolute, relative } from 'node:path';
import { fixed, formatTable, toCsv, type Cell } from '../table.ts';
import type { EvalResult } from './evaluate.ts';

/** `p` relative to the current directory when it lies under it (forward slashes), else unchanged. */
function shown(p: string | null): string | null {
  if (p === null || !isAbsolute(p)) return p;
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r.split('\\').join('/') : p;
}

function portable(r: EvalResult): EvalResult {
  return { ...r, runDir: shown(r.runDir), weightsFile: shown(r.weightsFile)!, env: shown(r.env)! };
}

function columns(results: readonly EvalResult[]): { ks: string[]; comps: string[] } {
  const ks = new Set<string>();
  const comps = new Set<string>();
  for (const r of results) for (const p of r.passes) {
    for (const k of Object.keys(p.passAtK ?? {})) ks.add(k);
    for (const c of Object.keys(p.components)) comps.add(c);
  }
  return { ks: [...ks].sort((a, b) => Number(a) - Number(b)), comps: [...comps] };
}

function rows(results: readonly EvalResult[], table: boolean): { headers: string[]; rows: Cell[][] } {
  const { ks, comps } = columns(results);
  const headers = table
    ? ['target', 'ckpt', 'env', 'split', 'mode', 'T', 'episodes', 'success', '95% CI', 'return', 'length', ...ks.map((k) => `pass@${k}`), ...comps]
    : ['target', 'version', 'env', 'split', 'mode', 'temperature', 'problems', 'samples_per_problem', 'episodes', 'successes', 'success_rate', 'ci95_low', 'ci95_high',
      'return_mean', 'return_std', 'length_mean', 'truncated_rate', ...ks.map((k) => `pass_at_${k}`), ...comps.map((c) => `component_${c}`), 'seconds'];
  const out: Cell[][] = [];
  for (const r of results) {
    for (const p of r.passes) {
      const tail = [...ks.map((k) => p.passAtK?.[k]), ...comps.map((c) => p.components[c])];
      out.push(table
        ? [r.target, r.version, shown(r.env), r.split ?? '—', p.mode, p.temperature, p.episodes, fixed(p.successRate), `${fixed(p.successCi95[0])}–${fixed(p.successCi95[1])}`,
          fixed(p.returnMean), fixed(p.lengthMean, 1), ...tail.map((v) => fixed(v))]
        : [r.target, r.version, shown(r.env), r.split, p.mode, p.temperature, p.problems, p.samplesPerProblem, p.episodes, p.successes, p.successRate, p.successCi95[0], p.successCi95[1],
          p.returnMean, p.returnStd, p.lengthMean, p.truncatedRate, ...tail, p.seconds]);
    }
  }
  return { headers, rows: out };
}

export function formatEvalTable(results: readonly EvalResult[]): string {
  const t = rows(results, true);
  return formatTable(t.headers, t.rows);
}

export function evalToCsv(results: readonly EvalResult[]): string {
  const t = rows(results, false);
  return toCsv(t.headers, t.rows);
}

export function evalToJson(results: readonly EvalResult[], command: string): string {
  return JSON.stringify({ command, results: results.map(portable) }, null, 1) + '\n';
}
