/**
 * Read-only access to finished (or running) runs on disk, for overlaying past runs on the dashboard.
 * Layout written by the runner: runs/<name>-<time>/{config.json, metrics.jsonl, episodes.jsonl?,
 * summary.json, checkpoints/}. Only names matching RUN_NAME and only these files are ever served, so a
 * request cannot reach outside runsDir.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
/** The files a client may read from a run directory, by the name used in the URL. */
export const RUN_FILES = {
  config: { file: 'config.json', type: 'application/json' },
  summary: { file: 'summary.json', type: 'application/json' },
  metrics: { file: 'metrics.jsonl', type: 'application/x-ndjson' },
  episodes: { file: 'episodes.jsonl', type: 'application/x-ndjson' },
} as const;
export type RunFile = keyof typeof RUN_FILES;

export interface RunInfo {
  name: string;
  /** Last modification of the run directory's metrics (or the directory), ms since epoch. */
  mtime: number;
  files: RunFile[];
  /** summary.json when present and small, else undefined. */
  summary?: unknown;
}

/** The run directory for `name`, or an Error saying why the name is refused. */
export function runDir(runsDir: string, name: string): string {
  if (!RUN_NAME.test(name) || name.includes('..')) {
    throw new Error(`bad run name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' only`);
  }
  const root = resolve(runsDir);
  const dir = resolve(root, name);
  if (!dir.startsWith(root + sep)) throw new Error(`run name ${JSON.stringify(name)} resolves outside the runs directory`);
  return dir;
}

/** Lists the runs under runsDir, newest first (at most `limit`). A missing runsDir is an empty list. */
export async function listRuns(runsDir: string, limit = 200): Promise<RunInfo[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && RUN_NAME.test(d.name)).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RunInfo[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    const files: RunFile[] = [];
    let mtime = 0;
    for (const [key, { file }] of Object.entries(RUN_FILES) as [RunFile, { file: string }][]) {
      try {
        const s = await stat(join(dir, file));
        if (s.isFile()) {
          files.push(key);
          mtime = Math.max(mtime, s.mtimeMs);
        }
      } catch {
        /* absent */
      }
    }
    if (files.length === 0) continue;
    const info: RunInfo = { name, mtime, files };
    if (files.includes('summary')) {
      try {
        const s = await stat(join(dir, 'summary.json'));
        if (s.size < 64 * 1024) info.summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
      } catch {
        /* a half-written or bad summary is just not shown */
      }
    }
    out.push(info);
  }
  out.sort((a, b) => b.mtime - a.mtime || a.name.localeCompare(b.name));
  return out.slice(0, limit);
}

/** Opens one whitelisted file of a run for streaming; rejects with ENOENT-like errors when absent. */
export async function openRunFile(runsDir: string, name: string, which: string): Promise<{ stream: NodeJS.ReadableStream; type: string; size: number }> {
  if (!(which in RUN_FILES)) throw new Error(`unknown run file "${which}"; valid: ${Object.keys(RUN_FILES).join(', ')}`);
  const { file, type } = RUN_FILES[which as RunFile];
  const path = join(runDir(runsDir, name), file);
  const s = await stat(path);
  if (!s.isFile()) throw Object.assign(new Error(`${name}/${file} is not a file`), { code: 'ENOENT' });
  return { stream: createReadStream(path), type, size: s.size };
}
