/**
 * `npm test`: runs every test/**\/*.test.ts file in its own Node process (so a file that leaks a
 * handle or crashes cannot take the others down), two at a time, and ends with the line CI reads:
 * `N passed, N failed` (skipped tests, if any, are counted on the line before).
 *
 *   npm test                       all files
 *   npm test -- envs rewards       only files whose path contains one of these words
 *
 * A file that exits non-zero without a uvu summary (a crash, a timeout) counts as one failed test.
 * A run that executes no test at all exits 1.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const FILE_TIMEOUT_MS = Number(process.env.THRIVE_TEST_TIMEOUT_MS ?? 10 * 60_000);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

interface FileResult { file: string; passed: number; failed: number; skipped: number; output: string; code: number | null }

function runFile(file: string): Promise<FileResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => { output += `\n[test runner] timed out after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label: string) => {
        const m = output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') ?? 0;
      let failed = total !== undefined && passed !== undefined ? total - passed - skipped : 1;
      // A crash after the summary, or a non-zero exit with every test passed, is still a failure.
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ file: relative(root, file), passed: passed ?? 0, failed, skipped, output, code });
    });
  });
}

const filters = process.argv.slice(2);
const files = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)));
const concurrency = Math.max(1, Math.min(Number(process.env.THRIVE_TEST_JOBS ?? 2), availableParallelism()));

const results: FileResult[] = [];
let next = 0;
async function lane(): Promise<void> {
  while (next < files.length) {
    const file = files[next++];
    const t0 = Date.now();
    const r = await runFile(file);
    results.push(r);
    const status = r.failed > 0 ? 'FAIL' : 'ok  ';
    console.log(`${status} ${r.file}  (${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (r.failed > 0 || process.env.THRIVE_TEST_VERBOSE) console.log(r.output.replace(/^/gm, '    | '));
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));

const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
const skipped = results.reduce((s, r) => s + r.skipped, 0);
if (passed + failed === 0) console.log('no test was executed: that is a failure');
if (skipped > 0) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
