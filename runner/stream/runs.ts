/**
 * Read-only access to finished (or running) runs on disk: for overlaying past runs on a live run's
 * dashboard, and for `npm run view` (scripts/view.ts), which serves the dashboard over runs only.
 * Layout written by the runner: runs/<name>-<time>/{config.json, metrics.jsonl, events.jsonl,
 * episodes.jsonl?, summary.json, checkpoints/}.
 *
 * A RunCatalog maps run names to directories: every run directory under one folder (`folderCatalog`,
 * what a live run serves) or an explicit list (`listCatalog`, what `view` serves). Only names of the
 * catalog and only the RUN_FILES are ever served, so a request cannot reach anything else; config.json
 * is served with its secrets removed (secrets.ts).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { redactSecrets } from './secrets.ts';

export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
/** The files a client may read from a run directory, by the name used in the URL. */
export const RUN_FILES = {
  config: { file: 'config.json', type: 'application/json' },
  summary: { file: 'summary.json', type: 'application/json' },
  metrics: { file: 'metrics.jsonl', type: 'application/x-ndjson' },
  episodes: { file: 'episodes.jsonl', type: 'application/x-ndjson' },
  events: { file: 'events.jsonl', type: 'application/x-ndjson' },
} as const;
export type RunFile = keyof typeof RUN_FILES;

export interface RunInfo {
  name: string;
  /** Last modification of the run's files, ms since epoch. */
  mtime: number;
  files: RunFile[];
  /** summary.json when present and small, else undefined. */
  summary?: unknown;
}

/** Where runs are: names → directories. */
export interface RunCatalog {
  /** The run names, any order. */
  names(): Promise<string[]>;
  /** The directory of a run; throws saying why a name is refused. */
  dir(name: string): string;
}

function checkName(name: string): void {
  if (!RUN_NAME.test(name) || name.includes('..')) {
    throw new Error(`bad run name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' only`);
  }
}

/** Every run directory directly under `runsDir` (a missing runsDir holds none). */
export function folderCatalog(runsDir: string): RunCatalog {
  const root = resolve(runsDir);
  return {
    async names() {
      try {
        return (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && RUN_NAME.test(d.name)).map((d) => d.name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
    dir(name) {
      checkName(name);
      const dir = resolve(root, name);
      if (!dir.startsWith(root + sep)) throw new Error(`run name ${JSON.stringify(name)} resolves outside the runs directory`);
      return dir;
    },
  };
}

/**
 * Exactly these run directories, named by their folder name (a clash gets the parent's name in front:
 * `a/run-1`, `b/run-1` → `a.run-1`, `b.run-1`). Throws naming a path that is not a directory.
 */
export function listCatalog(dirs: readonly string[]): RunCatalog {
  const byName = new Map<string, string>();
  const full = dirs.map((d) => resolve(d));
  for (const d of full) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new Error(`'${d}' is not a directory`);
  }
  const clash = (d: string) => full.filter((o) => basename(o) === basename(d)).length > 1;
  for (const d of full) {
    let name = clash(d) ? `${basename(dirname(d))}.${basename(d)}` : basename(d);
    name = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'run';
    for (let i = 2; byName.has(name) && byName.get(name) !== d; i++) name = `${name.replace(/-\d+$/, '')}-${i}`;
    byName.set(name, d);
  }
  return {
    async names() {
      return [...byName.keys()];
    },
    dir(name) {
      const d = byName.get(name);
      if (!d) throw Object.assign(new Error(`no run named ${JSON.stringify(name)}`), { code: 'ENOENT' });
      return d;
    },
  };
}

/** Whether a directory holds a run (any of the RUN_FILES). */
export function isRunDir(dir: string): boolean {
  return Object.values(RUN_FILES).some(({ file }) => existsSync(join(dir, file)));
}

/** The catalog's runs, newest first (at most `limit`); directories with none of the RUN_FILES are left out. */
export async function listRuns(catalog: RunCatalog | string, limit = 200): Promise<RunInfo[]> {
  const cat = typeof catalog === 'string' ? folderCatalog(catalog) : catalog;
  const out: RunInfo[] = [];
  for (const name of await cat.names()) {
    const dir = cat.dir(name);
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

/** Largest config.json served (it is parsed to remove secrets). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Opens one whitelisted file of a run for streaming; rejects with ENOENT-like errors when absent.
 * config.json is parsed and sent without its secrets.
 */
export async function openRunFile(catalog: RunCatalog | string, name: string, which: string): Promise<{ stream: NodeJS.ReadableStream; type: string; size: number }> {
  if (!(which in RUN_FILES)) throw new Error(`unknown run file "${which}"; valid: ${Object.keys(RUN_FILES).join(', ')}`);
  const cat = typeof catalog === 'string' ? folderCatalog(catalog) : catalog;
  const { file, type } = RUN_FILES[which as RunFile];
  const path = join(cat.dir(name), file);
  const s = await stat(path);
  if (!s.isFile()) throw Object.assign(new Error(`${name}/${file} is not a file`), { code: 'ENOENT' });
  if (which === 'config') {
    if (s.size > MAX_CONFIG_BYTES) throw new Error(`${name}/${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      throw new Error(`${name}/${file} is not valid JSON`);
    }
    const body = Buffer.from(JSON.stringify(redactSecrets(parsed), null, 2));
    return { stream: Readable.from([body]), type, size: body.byteLength };
  }
  return { stream: createReadStream(path), type, size: s.size };
}
