import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

/** Runs `scripts/check-env.ts` the way `npm run check-env --` does. */
function cli(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-env.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('check-env passes a good env by id and by path (exit 0)', () => {
  const byId = cli('Maze-v0', '--options', '{"size":3}');
  assert.is(byId.code, 0, byId.out);
  assert.match(byId.out, /PASS Maze-v0/);
  const byPath = cli('./envs/examples/corridor.ts');
  assert.is(byPath.code, 0, byPath.out);
});

test('check-env fails a broken env (exit 1) and names the rule', () => {
  const r = cli('./test/envs/fixtures/broken-envs.ts', '--options', '{"fault":"nondeterministic"}');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✗ same seed, same episodes \(determinism\)/);
});

test('check-env: unknown id lists valid ids (exit 1); bad usage exits 2', () => {
  const r = cli('Nope-v0');
  assert.is(r.code, 1);
  assert.match(r.out, /unknown env id 'Nope-v0'. Registered ids: .*KeyDoor-v0/);
  assert.is(cli().code, 2);
  assert.is(cli('Maze-v0', '--options', 'not json').code, 2);
  assert.is(cli('Maze-v0', '--bogus').code, 2);
});

test.run();
