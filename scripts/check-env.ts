/**
 * `npm run check-env -- <id or path> [--options '{"size":8}'] [--seed N] [--episodes N]`
 * Runs the env conformance checker (envs/checker.ts) and exits 1 on any failed rule, 2 on bad usage.
 * `npm run check-env -- --all` checks every registered env with default options.
 */
import { checkEnv, listEnvs, makeEnv, type CheckReport } from '../envs/index.ts';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error("usage: npm run check-env -- <env id | ./path/to/env.ts> [--options '<json>'] [--seed N] [--episodes N]");
  console.error('       npm run check-env -- --all');
  console.error(`registered ids: ${listEnvs().map((e) => e.id).join(', ')}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let target: string | undefined;
let options: Record<string, unknown> = {};
let seed: number | undefined;
let episodes: number | undefined;
let all = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--all') all = true;
  else if (a === '--options') {
    try { options = JSON.parse(args[++i] ?? ''); } catch { usage(`--options needs a JSON object, got ${JSON.stringify(args[i])}`); }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) usage('--options needs a JSON object');
  } else if (a === '--seed' || a === '--episodes') {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 0) usage(`${a} needs a non-negative integer, got ${JSON.stringify(args[i])}`);
    if (a === '--seed') seed = v; else episodes = v;
  } else if (a === '--help' || a === '-h') usage();
  else if (a.startsWith('--')) usage(`unknown flag ${a}`);
  else if (target === undefined) target = a;
  else usage(`unexpected argument ${a}`);
}
if (!all && target === undefined) usage('missing env id or path');

function print(report: CheckReport, label: string): void {
  console.log(`${report.ok ? 'PASS' : 'FAIL'} ${label}`);
  for (const r of report.results) console.log(`  ${r.ok ? '✓' : '✗'} ${r.name}${r.ok ? '' : `: ${r.detail}`}`);
  for (const w of report.warnings) console.log(`  ! ${w}`);
}

const targets = all ? listEnvs().map((e) => e.id) : [target!];
let failed = 0;
for (const t of targets) {
  let report: CheckReport;
  try {
    const opts = all ? {} : options;
    const env = await makeEnv(t, opts);
    const another = await makeEnv(t, opts);
    report = checkEnv(env, { seed, episodes, makeAnother: () => another });
  } catch (err) {
    console.log(`FAIL ${t}\n  ✗ make: ${(err as Error).message}`);
    failed++;
    continue;
  }
  print(report, t);
  if (!report.ok) failed++;
}
if (targets.length > 1) console.log(`${targets.length - failed} of ${targets.length} envs pass`);
process.exit(failed > 0 ? 1 : 0);
