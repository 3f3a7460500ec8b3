/**
 * `npm run compare -- <run dir> <run dir> … [--window 10] [--metrics a,b] [--json]`
 *
 * Side-by-side view of runs from their directories: status and totals (summary.json), final and best of
 * the key metrics (metrics.jsonl) and the config keys whose values differ (config.json). runner/compare.ts
 * does the work; --json prints the same as one JSON object.
 */
import type { Schema } from '../core/schema.ts';
import { compareRuns, formatComparison } from '../runner/compare.ts';
import { flagHelp, parseFlags, runCommand, UsageError } from './flags.ts';

const FLAGS = {
  window: { type: 'int', default: 10, min: 1, max: 100_000, doc: 'Updates averaged for "final" (the last ones) and for "best" (the best run of consecutive ones).' },
  metrics: { type: 'string', default: '', doc: 'More metrics.jsonl keys to show, comma-separated (e.g. rm_heldOutAccuracy,ann_captionsLabelled).' },
  json: { type: 'boolean', default: false, doc: 'Print the comparison as JSON instead of tables.' },
} as const satisfies Schema;

const USAGE = `usage: npm run compare -- <run dir> <run dir> … [--window N] [--metrics a,b] [--json]

flags:
${flagHelp(FLAGS)}`;

await runCommand(() => {
  const { values: o, positionals, help } = parseFlags(process.argv.slice(2), FLAGS);
  if (help) { console.log(USAGE); return; }
  if (positionals.length === 0) throw new UsageError('name at least one run directory (runs/<name>-<time>/)');
  const c = compareRuns(positionals, { window: o.window, metrics: o.metrics.split(',').map((m) => m.trim()).filter(Boolean) });
  console.log(o.json ? JSON.stringify(c, null, 1) : formatComparison(c));
}, USAGE);
