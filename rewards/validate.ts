/** Small helpers for config validation: every error names the key, the bad value and what is valid. */
import { parse, type Infer, type Schema } from '../core/schema.ts';

export type Plain = Record<string, unknown>;

export function asObject(value: unknown, path: string): Plain {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${path}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Plain;
}

export function rejectUnknown(obj: Plain, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new Error(`${path}: unknown key '${key}'. Valid keys: ${allowed.join(', ')}`);
    }
  }
}

interface NumOpts { min?: number; max?: number; int?: boolean; exclusiveMin?: boolean }

export function num(obj: Plain, key: string, def: number, path: string, opts: NumOpts = {}): number {
  const v = obj[key];
  if (v === undefined) return def;
  const where = `${path}.${key}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: expected a finite number, got ${JSON.stringify(v)}`);
  if (opts.int && !Number.isInteger(v)) throw new Error(`${where}: expected an integer, got ${v}`);
  if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
    throw new Error(`${where}: must be ${opts.exclusiveMin ? '>' : '>='} ${opts.min}, got ${v}`);
  }
  if (opts.max !== undefined && v > opts.max) throw new Error(`${where}: must be <= ${opts.max}, got ${v}`);
  return v;
}

export function str(obj: Plain, key: string, def: string, path: string, allowed?: readonly string[]): string {
  const v = obj[key];
  if (v === undefined) return def;
  const where = `${path}.${key}`;
  if (typeof v !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(v)}`);
  if (allowed && !allowed.includes(v)) throw new Error(`${where}: '${v}' is not valid. Valid values: ${allowed.join(', ')}`);
  return v;
}

export function strOrNull(obj: Plain, key: string, def: string | null, path: string): string | null {
  const v = obj[key];
  if (v === undefined) return def;
  if (v === null) return null;
  if (typeof v !== 'string') throw new Error(`${path}.${key}: expected a string or null, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(obj: Plain, key: string, def: boolean, path: string): boolean {
  const v = obj[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new Error(`${path}.${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The options of `schema` among the keys of `o` (a section whose other keys are validated by hand),
 * parsed with core/schema: defaults filled, errors naming `path.key`.
 */
export function parseOwnKeys<S extends Schema>(schema: S, o: Plain, path: string): Infer<S> {
  const picked: Plain = {};
  for (const k of Object.keys(schema)) if (o[k] !== undefined) picked[k] = o[k];
  return parse(schema, picked, path);
}
