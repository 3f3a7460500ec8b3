/**
 * Small helpers for validating nested config objects: every error names the full dotted key, the bad
 * value and what is valid. Shared by the experiment config and the CLI.
 */

export type Plain = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function show(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Rejects keys of `obj` that are not in `allowed`, naming the first unknown key with its full path. */
export function rejectUnknown(obj: Plain, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const full = path ? `${path}.${key}` : key;
      throw new ConfigError(`unknown config key '${full}'. Valid keys${path ? ` of '${path}'` : ''}: ${allowed.join(', ')}`);
    }
  }
}

export function objectAt(obj: Plain, key: string, path: string): Plain {
  const v = obj[key];
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw new ConfigError(`config key '${join(path, key)}' must be an object, got ${show(v)}`);
  return v;
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function num(
  obj: Plain, key: string, path: string, def: number,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const v = obj[key];
  if (v === undefined) return def;
  const full = join(path, key);
  const range = `${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`config key '${full}' must be ${range}, got ${show(v)}`);
  if (opts.integer && !Number.isInteger(v)) throw new ConfigError(`config key '${full}' must be ${range}, got ${show(v)}`);
  if (opts.min !== undefined && v < opts.min) throw new ConfigError(`config key '${full}' must be ${range}, got ${show(v)}`);
  if (opts.max !== undefined && v > opts.max) throw new ConfigError(`config key '${full}' must be ${range}, got ${show(v)}`);
  return v;
}

export function str(obj: Plain, key: string, path: string, def: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = obj[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || (opts.nonEmpty && v.length === 0)) {
    throw new ConfigError(`config key '${join(path, key)}' must be a ${opts.nonEmpty ? 'non-empty ' : ''}string, got ${show(v)}`);
  }
  return v;
}

export function optStr(obj: Plain, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`config key '${join(path, key)}' must be a string, got ${show(v)}`);
  return v;
}

export function bool(obj: Plain, key: string, path: string, def: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new ConfigError(`config key '${join(path, key)}' must be true or false, got ${show(v)}`);
  return v;
}

export function oneOf<T extends string>(obj: Plain, key: string, path: string, def: T, valid: readonly T[]): T {
  const v = obj[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(valid as readonly string[]).includes(v)) {
    throw new ConfigError(`config key '${join(path, key)}' must be one of ${valid.map((x) => `'${x}'`).join(', ')}, got ${show(v)}`);
  }
  return v as T;
}

/** Deep merge of plain objects (arrays and typed arrays are replaced, not merged). */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Sets `obj[a][b][c] = value` for the dotted key 'a.b.c', creating objects on the way. */
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
