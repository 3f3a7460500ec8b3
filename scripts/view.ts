/**
 * The dashboard over finished runs, with no run going:
 *
 *   npm run view -- runs/keydoor-thr-20260101-120000            one run directory
 *   npm run view -- runs/a-1 runs/b-2 other/c-3                  several
 *   npm run view -- runs/                                        a folder of them (every run directory inside)
 *   npm run view -- runs/ --port 8080 [--host H --token T]
 *
 * Serves the same page as a live run (startStreamServer with live: false), read-only from disk: the runs'
 * metrics.jsonl, config.json (without secrets), events.jsonl, summary.json and episodes.jsonl. The
 * newest runs are shown at once, the others a tick away. Binds 127.0.0.1; another host needs --token,
 * as for a run. Stops on Ctrl-C. Exits 2 on bad arguments (a path that is not a run directory, …).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { MetricsHub, isRunDir, listCatalog, startStreamServer } from '../runner/stream/index.ts';
import type { StreamServer } from '../runner/stream/index.ts';

export interface ViewArgs {
  dirs: string[];
  port: number;
  host: string;
  token?: string;
}

const USAGE = 'usage: npm run view -- RUN_DIR|FOLDER [more …] [--port N] [--host H] [--token T]';

/** Parses the command line and finds the run directories; throws saying what is wrong. */
export function parseViewArgs(argv: string[]): ViewArgs {
  const paths: string[] = [];
  const out: Omit<ViewArgs, 'dirs'> = { port: 0, host: '127.0.0.1', token: process.env.THRIVE_TOKEN || undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--port') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be an integer 0..65535, got '${v}'`);
      out.port = n;
    } else if (a === '--host') out.host = value();
    else if (a === '--token') out.token = value();
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('--')) throw new Error(`unknown flag '${a}'; valid: --port, --host, --token\n${USAGE}`);
    else paths.push(a);
  }
  if (paths.length === 0) throw new Error(`give at least one run directory or a folder of them\n${USAGE}`);
  const dirs: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    if (!existsSync(full) || !statSync(full).isDirectory()) throw new Error(`'${p}' is not a directory (expected a run directory such as runs/NAME-TIME, or a folder of them)`);
    if (isRunDir(full)) {
      dirs.push(full);
      continue;
    }
    const inside = readdirSync(full, { withFileTypes: true }).filter((d) => d.isDirectory() && isRunDir(join(full, d.name))).map((d) => join(full, d.name));
    if (inside.length === 0) throw new Error(`'${p}' is neither a run directory (no config.json, metrics.jsonl, events.jsonl, summary.json or episodes.jsonl) nor a folder holding any`);
    dirs.push(...inside);
  }
  return { dirs: [...new Set(dirs)], ...out };
}

/** Starts the offline dashboard over the runs. */
export function startView(args: ViewArgs): Promise<StreamServer> {
  const runName = args.dirs.length === 1 ? basename(args.dirs[0]!) : `${args.dirs.length} runs`;
  return startStreamServer({ hub: new MetricsHub(), live: false, runs: listCatalog(args.dirs), host: args.host, port: args.port, token: args.token ?? null, runName });
}

async function main(): Promise<number> {
  let args: ViewArgs;
  try {
    args = parseViewArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let server: StreamServer;
  try {
    server = await startView(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  console.log(`viewing ${args.dirs.length} run${args.dirs.length > 1 ? 's' : ''}: ${server.url}${args.token ? `?token=${args.token}` : ''}   (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => done());
  });
  await server.close();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code));
}
