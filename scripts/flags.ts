/**
 * Command-line flags declared as a core/schema.ts schema (each flag's type, default and doc once), for the
 * commands in scripts/: `--episodes 50`, `--episodes=50`, `--greedy` / `--no-greedy` for booleans, JSON for
 * record flags. A schema key `maxSteps` is the flag `--max-steps`. Errors are UsageErrors naming the flag,
 * the bad value and what is valid (and for an unknown flag the closest one); `runCommand` prints them with
 * the usage line and exits 2, any other error as one `error: …` line with exit 1 — never a stack trace.
 */
import { closest, defaults, describeSpec, parseOption, show, type Infer, type Schema, type Spec } from '../core/schema.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `maxSteps` → `max-steps`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export interface ParsedFlags<S extends Schema> {
  values: Infer<S>;
  /** Keys the user gave explicitly. */
  given: Set<keyof S & string>;
  positionals: string[];
  help: boolean;
}

function coerce(spec: Spec, raw: string, flag: string): unknown {
  const bad = () => new UsageError(`${flag} must be ${describeSpec(spec)}, got ${show(raw)}`);
  let v: unknown = raw;
  switch (spec.type) {
    case 'int':
    case 'number':
      if (raw === 'null' && 'nullable' in spec && spec.nullable) v = null;
      else if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw bad();
      else v = Number(raw);
      break;
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw bad();
      v = raw === 'true';
      break;
    case 'int[]':
      v = raw.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
      break;
    case 'string[]':
      v = raw.split(',').map((x) => x.trim());
      break;
    case 'record':
    case 'object':
    case 'union':
      try { v = JSON.parse(raw); } catch (err) { throw new UsageError(`${flag} must be a JSON object, got ${show(raw)} (${(err as Error).message})`); }
      break;
  }
  try {
    return parseOption(spec, v, flag);
  } catch {
    throw bad();
  }
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Parses `argv` against `schema`; positionals are collected unless `positionals: false`. */
export function parseFlags<S extends Schema>(argv: readonly string[], schema: S, opts: { positionals?: boolean } = {}): ParsedFlags<S> {
  const byFlag = new Map(Object.keys(schema).map((k) => [flagName(k), k]));
  const given = new Map<string, unknown>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { help = true; continue; }
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('-') || NUMBER.test(a)) {
      if (opts.positionals === false) throw new UsageError(`unexpected argument ${show(a)}: this command takes only --flags`);
      positionals.push(a);
      continue;
    }
    let name = a.replace(/^--?/, '');
    let raw: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { raw = name.slice(eq + 1); name = name.slice(0, eq); }
    let key = byFlag.get(name);
    if (key === undefined && name.startsWith('no-') && schema[byFlag.get(name.slice(3)) ?? '']?.type === 'boolean' && raw === undefined) {
      key = byFlag.get(name.slice(3))!;
      raw = 'false';
    }
    if (key === undefined) {
      const near = closest(name, [...byFlag.keys(), 'help']);
      throw new UsageError(`unknown flag --${name}${near ? ` (did you mean --${near}?)` : ''}; valid: ${[...byFlag.keys()].map((f) => `--${f}`).join(', ')}, --help`);
    }
    const spec = schema[key]!;
    if (raw === undefined) {
      if (spec.type === 'boolean') raw = 'true';
      else {
        const nxt = argv[i + 1];
        if (nxt === undefined || (nxt.startsWith('-') && !NUMBER.test(nxt))) throw new UsageError(`--${name} needs a value: ${describeSpec(spec)}`);
        raw = nxt;
        i++;
      }
    }
    given.set(key, coerce(spec, raw, `--${name}`));
  }
  const values = { ...defaults(schema), ...Object.fromEntries(given) } as Infer<S>;
  return { values, given: new Set(given.keys()) as Set<keyof S & string>, positionals, help };
}

/** One line per flag: `--name VALUE  doc (default …)`, for --help. */
export function flagHelp(schema: Schema): string {
  const rows = Object.entries(schema).map(([k, spec]) => {
    const value = spec.type === 'boolean' ? '' : spec.type === 'enum' ? ` ${spec.values.join('|')}` : spec.type === 'record' ? ' JSON' : spec.type === 'int[]' ? ' N,N,…' : spec.type === 'string[]' ? ' A,B,…' : spec.type === 'string' ? ' TEXT' : ' N';
    const def = spec.required ? 'required' : 'default' in spec && spec.default !== null && !(spec.type === 'boolean' && spec.default === false) ? `default ${show(spec.default)}` : '';
    return [`  --${flagName(k)}${value}`, `${spec.doc}${def ? ` (${def})` : ''}`];
  });
  const w = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map(([a, b]) => `${a!.padEnd(w)}  ${b}`).join('\n');
}

/**
 * Runs a command's main: a UsageError prints `error: …` and the usage line (exit 2); any other error prints
 * `error: …` (exit 1). Set THRIVE_DEBUG=1 for the stack.
 */
export async function runCommand(main: () => Promise<void> | void, usage: string): Promise<void> {
  try {
    await main();
  } catch (err) {
    const e = err as Error;
    if (process.env.THRIVE_DEBUG) console.error(e?.stack ?? e);
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${usage.split('\n')[0]}\n(--help for every flag)`);
      process.exit(2);
    }
    console.error(`error: ${e?.message ?? String(err)}`);
    process.exit(1);
  }
}
