/**
 * `npm run eval -- <run dir | checkpoint dir | .safetensors> … [--split test] [--episodes N] [--greedy] [--samples K] [--out FILE.json|FILE.csv]`
 *
 * Evaluates each target's policy (a run directory means its newest checkpoint) on its env's held-out split
 * — the run's env id (registered or a path) and options from its config.json, `split` overridden — and
 * prints one table row per target and pass: success rate with a Wilson 95% interval, mean return and
 * length, pass@k with --samples, and the reward components of text/tool envs. runner/eval does the work.
 */
import { writeFileSync } from 'node:fs';
import type { Schema } from '../core/schema.ts';
import { EVAL_OPTIONS } from '../runner/eval/options.ts';
import type { EvalResult } from '../runner/eval/index.ts';
import { flagHelp, parseFlags, runCommand, UsageError } from './flags.ts';

const FLAGS = {
  ...EVAL_OPTIONS,
  env: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: "Evaluate on this env id or path instead of the run's (needed for a policy file without warm-start metadata)." },
  options: { type: 'record', default: null, nullable: true, doc: "Env options (JSON) merged over the run's, e.g. '{\"size\":9}'." },
  out: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'Also write the results to this file: .json (everything) or .csv (one row per target × pass).' },
  backend: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'TF.js backend (agents/backend.ts): tfjs-node-gpu, tfjs-node, wasm, cpu. Default: the best that loads.' },
} as const satisfies Schema;

const USAGE = `usage: npm run eval -- <run dir | checkpoint dir | policy.safetensors> [more targets…] [flags]

examples:
  npm run eval -- runs/keydoor-thr-20261126-164446                  # games: 100 held-out levels, sampled at the run's T
  npm run eval -- runs/addition-thr-… --samples 16 --out eval.json   # text: greedy success and pass@1…16
  npm run eval -- agents/checkpoints/addition-v0.safetensors         # a warm start (env from its metadata)
  npm run eval -- runs/a runs/b --greedy --episodes 500 --out eval.csv

flags:
${flagHelp(FLAGS)}`;

await runCommand(async () => {
  const { values: o, given, positionals, help } = parseFlags(process.argv.slice(2), FLAGS);
  if (help) { console.log(USAGE); return; }
  if (positionals.length === 0) throw new UsageError('name at least one run directory, checkpoint directory or .safetensors file');
  if (o.out && !/\.(json|csv)$/.test(o.out)) throw new UsageError(`--out ${o.out}: the file must end in .json or .csv`);
  // TF.js loads only now, so --help and flag errors answer at once.
  const { initBackend } = await import('../agents/index.ts');
  const { evaluateTarget, evalToCsv, evalToJson, formatEvalTable, loadEvalTarget } = await import('../runner/eval/index.ts');
  process.env.THRIVE_BACKEND_QUIET ??= '1';
  await initBackend(o.backend ?? undefined);
  const { env, options, out, backend: _b, ...evalOptions } = o;
  const results: EvalResult[] = [];
  for (const path of positionals) {
    const target = loadEvalTarget(path, { env: env ?? undefined, options: options ?? undefined });
    try {
      const r = await evaluateTarget(target, evalOptions, given.has('split'));
      if (r.split === null) console.error(`note: env '${r.env}' has no 'split' option; evaluated on its one problem set`);
      results.push(r);
    } finally {
      target.policy.dispose();
    }
  }
  console.log(formatEvalTable(results));
  if (out) {
    const command = `npm run eval -- ${process.argv.slice(2).join(' ')}`;
    writeFileSync(out, out.endsWith('.csv') ? evalToCsv(results) : evalToJson(results, command));
    console.log(`wrote ${out}`);
  }
}, USAGE);
