/**
 * Plain-text tables for the terminal (aligned columns, numbers right-aligned) and the same rows as CSV
 * (RFC 4180 quoting): what `npm run eval` and `npm run compare` print and write.
 */

export type Cell = string | number | null | undefined;

/** A number with exactly `digits` decimals (also for whole numbers), '—' when missing or not finite. */
export function fixed(v: number | null | undefined, digits = 3): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** A number for a table: integers as they are, others with `digits` decimals; '—' for a missing or non-finite value. */
export function fmt(v: Cell, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '—';
  return Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v) : v.toFixed(digits);
}

const NUMERIC = /^(—|[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?%?)$/i;

/** Columns padded to their widest cell; a column of numbers (or of strings that read as numbers) is right-aligned. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, digits = 3): string {
  const text = rows.map((r) => headers.map((_, i) => fmt(r[i], digits)));
  const width = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => text.length > 0 && text.every((r) => NUMERIC.test(r[i]!)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(headers), width.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

function csvCell(v: Cell): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header line plus one line per row; numbers at full precision, missing values empty. */
export function toCsv(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  return [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
