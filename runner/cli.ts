/**
 * Command-line parsing for `npm start`:
 *   --experiment NAME      a named experiment (runner/experiments/); default: the default experiment
 *   --config FILE          a JSON config file (merged over the named experiment if both are given)
 *   --resume RUN_DIR       continue a run from its latest checkpoint
 *   --port N --host H --token T --no-server    the stream server
 *   --quiet                no progress line
 *   --backend NAME         TF.js backend for the worker threads (else agents' automatic choice)
 *   --a.b.c VALUE          override one config value (VALUE parsed as JSON when it parses, else a string;
 *                          --flag with no value = true). Unknown keys are rejected by validation.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, isPlainObject, type Plain } from '../core/schema.ts';
import { DEFAULT_EXPERIMENT, getExperiment } from './experiments/index.ts';
import type { ExperimentConfigInput } from './config.ts';

export interface CliArgs {
  /** The experiment as given (named experiment, file, overrides): not validated yet — the runner does that. */
  config: ExperimentConfigInput;
  resume?: string;
  server: { enabled?: boolean; port?: number; host?: string; token?: string };
  quiet: boolean;
  backend?: string;
  help: boolean;
}

const OWN = new Set(['experiment', 'config', 'resume', 'port', 'host', 'token', 'no-server', 'quiet', 'backend', 'help']);

/** Deep merge of plain objects (arrays and typed arrays are replaced, not merged): a config file over a named experiment. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Sets `obj[a][b][c] = value` for the dotted key 'a.b.c' (a `--a.b.c VALUE` flag), creating objects on the way. */
export function setDotted(obj: Plain, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  if (parts.some((p) => p.length === 0)) throw new ConfigError(`bad config key '${dotted}'`);
  let cur: Plain = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === undefined) cur[p] = {};
    else if (!isPlainObject(next)) throw new ConfigError(`cannot set '${dotted}': '${p}' is not an object`);
    cur = cur[p] as Plain;
  }
  cur[parts[parts.length - 1]] = value;
}

function parseValue(raw: string | undefined): unknown {
  if (raw === undefined) return true;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function parseArgs(argv: string[]): CliArgs {
  const flags = new Map<string, string | undefined>();
  const overrides: Array<[string, unknown]> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}': options are --name value (see --help)`);
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) { value = key.slice(eq + 1); key = key.slice(0, eq); }
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (OWN.has(key)) flags.set(key, value);
    else overrides.push([key, parseValue(value)]);
  }
  let config: Plain = {};
  const name = flags.get('experiment');
  const file = flags.get('config');
  const resume = flags.get('resume');
  if (flags.has('resume')) {
    // A resumed run continues its saved config: only the budget may be given (runExperiment checks).
    if (!resume) throw new ConfigError('--resume needs a run directory (runs/<name>-<time>)');
    if (name !== undefined || file !== undefined) throw new ConfigError('--resume continues the saved config of the run: it cannot be combined with --experiment or --config');
    for (const [k, v] of overrides) setDotted(config, k, v);
    return { config: config as ExperimentConfigInput, resume, server: serverFlags(flags), quiet: flags.has('quiet'), backend: flags.get('backend'), help: flags.has('help') };
  }
  if (name !== undefined || file === undefined) config = { ...getExperiment(name ?? DEFAULT_EXPERIMENT) };
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file '${file}': ${(err as Error).message}`);
    }
    if (!isPlainObject(parsed)) throw new ConfigError(`config file '${file}' must hold a JSON object`);
    config = name !== undefined ? deepMerge(config, parsed) : parsed;
  }
  for (const [k, v] of overrides) setDotted(config, k, v);
  return { config: config as ExperimentConfigInput, server: serverFlags(flags), quiet: flags.has('quiet'), backend: flags.get('backend'), help: flags.has('help') };
}

/** --no-server, --port, --host, --token. */
function serverFlags(flags: Map<string, string | undefined>): CliArgs['server'] {
  const server: CliArgs['server'] = {};
  if (flags.has('no-server')) server.enabled = false;
  if (flags.has('port')) {
    const v = flags.get('port');
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port must be an integer port 0..65535, got '${v}'`);
    server.port = n;
  }
  if (flags.has('host')) server.host = flags.get('host');
  if (flags.has('token')) server.token = flags.get('token');
  return server;
}

export const USAGE = `usage: npm start -- [--experiment NAME | --config FILE] [--key.path VALUE ...]
                 [--resume RUN_DIR] [--port N] [--host H] [--token T] [--no-server] [--quiet] [--backend NAME]
examples:
  npm start                                   the default experiment (${DEFAULT_EXPERIMENT})
  npm start -- --experiment keydoor-ext       a named experiment
  npm start -- --config my.json               a config file ({"env": {"id": "./my-env.ts"}, ...})
  npm start -- --learner.thr.p 0.5 --budget.seconds 60
  npm start -- --resume runs/keydoor-thr-20260101-120000`;
