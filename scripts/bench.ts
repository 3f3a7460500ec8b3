/**
 * `npm run bench -- NAME [args]` runs scripts/bench/NAME.ts. Every benchmark prints one JSON object
 * with its figures as its last line. Without a name, lists the benchmarks there are.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('./bench/', import.meta.url).pathname;
const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !existsSync(join(dir, `${name}.ts`))) {
  console.error(name ? `unknown benchmark '${name}'.` : 'usage: npm run bench -- NAME');
  console.error(`valid names: ${names.join(', ') || '(none yet)'}`);
  process.exit(name ? 2 : 0);
}
const child = spawn(process.execPath, ['--import', 'tsx', join(dir, `${name}.ts`), ...rest], { stdio: 'inherit' });
child.on('close', (code) => process.exit(code ?? 1));
