/**
 * The type check is part of the test run (as `npm run typecheck`): the TypeScript sources under the
 * root tsconfig.json, and the dashboard's plain ES modules (// @ts-check, runner/dashboard/tsconfig.json).
 * A type error anywhere fails this file and prints the compiler's messages.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('../..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function check(project: string): void {
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: root, encoding: 'utf8', timeout: 9 * 60_000 });
  assert.is(r.error, undefined, `tsc could not run: ${r.error?.message}`);
  assert.is(r.status, 0, `tsc -p ${project} reported errors:\n${r.stdout}${r.stderr}`);
}

test('tsc: every TypeScript source (strict, no unused locals or parameters)', () => check('.'));
test('tsc: the dashboard modules (// @ts-check against the DOM)', () => check('runner/dashboard'));

test.run();
