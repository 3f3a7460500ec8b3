/** The experiment scripts' one way to write a JSON file: atomically (a .tmp file renamed over it), its folder made. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path + '.tmp', JSON.stringify(value, null, 1) + '\n');
  renameSync(path + '.tmp', path);
}
