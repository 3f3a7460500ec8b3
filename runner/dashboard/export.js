// @ts-check
// CSV and JSON export of the metrics of every visible run (what the charts show, unsmoothed).

/** @typedef {Pick<import('./model.js').Run, 'label' | 'live' | 'config' | 'records'>} ExportRun */

/**
 * One CSV: a `run` column, then step/time/envSteps, then every metric seen in any run.
 * @param {ExportRun[]} runs
 */
export function toCsv(runs) {
  const keys = new Set(['step', 'time', 'envSteps']);
  for (const run of runs) for (const r of run.records) for (const k of Object.keys(r)) keys.add(k);
  const cols = ['run', ...keys];
  const cell = (/** @type {unknown} */ v) => {
    if (v === undefined || v === null) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.map(cell).join(',')];
  for (const run of runs) for (const r of run.records) lines.push([run.label, ...[...keys].map((k) => r[k])].map(cell).join(','));
  return lines.join('\n') + '\n';
}

/** @param {ExportRun[]} runs */
export function toJson(runs) {
  return JSON.stringify({ exportedAt: new Date().toISOString(), runs: runs.map((r) => ({ name: r.label, live: r.live, config: r.config ?? null, metrics: r.records })) }, null, 1);
}
