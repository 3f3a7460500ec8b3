/**
 * Is a directory usable for output — creatable (with its parents) and writable? Checked by trying, not by
 * reading permission bits (which miss read-only mounts, ACLs and root): a probe directory is created in the
 * directory, or in its nearest existing ancestor when it does not exist yet, and removed at once, so the
 * check leaves nothing behind (not even the missing directory itself).
 */
import { mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/schema.ts';

/** Throws a ConfigError naming `key` when `dir` could not be created or written. */
export function checkWritableDir(dir: string, key: string): void {
  const abs = resolve(dir);
  let at = abs;
  for (;;) {
    let isDir: boolean | null = null;
    try { isDir = statSync(at).isDirectory(); } catch (err) {
      // ENOENT: missing; ENOTDIR: a parent is a file (found as not a directory further up).
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new ConfigError(`config key '${key}' (${JSON.stringify(dir)}): cannot inspect '${at}': ${(err as Error).message}`);
    }
    if (isDir === false) {
      throw new ConfigError(`config key '${key}' (${JSON.stringify(dir)}) cannot be used as a directory: '${at}' exists and is not a directory`);
    }
    if (isDir) break;
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  try {
    rmdirSync(mkdtempSync(join(at, '.thrive-write-probe-')));
  } catch (err) {
    const what = at === abs ? 'is not writable' : `cannot be created: its nearest existing parent '${at}' is not writable`;
    throw new ConfigError(`config key '${key}' (${JSON.stringify(dir)}) ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
