/**
 * Typed, validated env options. Each env declares a schema (type, default, bounds, a doc line);
 * `validateOptions` fills defaults and throws an Error naming the bad key or value and what is valid.
 */
import { hashString } from '../core/rng.ts';

export type OptionSpec =
  | { type: 'int'; default: number; min?: number; max?: number; doc: string }
  | { type: 'number'; default: number; min?: number; max?: number; doc: string }
  | { type: 'boolean'; default: boolean; doc: string }
  | { type: 'enum'; values: readonly string[]; default: string; doc: string };

export type OptionSchema = Record<string, OptionSpec>;

/** Every procedurally generated built-in env takes `split`. */
export const SPLIT_OPTION: OptionSpec = {
  type: 'enum',
  values: ['train', 'test'],
  default: 'train',
  doc: "Problem set: 'train' or the disjoint held-out 'test' split (about 1 problem in 5 goes to test, chosen by a hash of the problem).",
};

export function describeOption(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int':
    case 'number':
      return `${spec.type === 'int' ? 'an integer' : 'a number'}${spec.min !== undefined ? ` ≥ ${spec.min}` : ''}${spec.max !== undefined ? ` and ≤ ${spec.max}` : ''}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${spec.values.map((v) => `'${v}'`).join(', ')}`;
  }
}

export function validateOptions<T>(where: string, schema: OptionSchema, partial: Record<string, unknown> | undefined): T {
  const input = partial ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new Error(`${where}: options must be an object, got ${JSON.stringify(input)}`);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(key in schema)) {
      throw new Error(`${where}: unknown option '${key}'. Valid options: ${Object.keys(schema).join(', ') || '(none)'}`);
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const v = input[key];
    if (v === undefined) { out[key] = spec.default; continue; }
    let ok: boolean;
    switch (spec.type) {
      case 'int':
      case 'number':
        ok = typeof v === 'number' && Number.isFinite(v) && (spec.type === 'number' || Number.isInteger(v)) &&
          (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
        break;
      case 'boolean':
        ok = typeof v === 'boolean';
        break;
      case 'enum':
        ok = typeof v === 'string' && spec.values.includes(v);
        break;
    }
    if (!ok) throw new Error(`${where}: bad value ${JSON.stringify(v)} for option '${key}'; valid: ${describeOption(spec)}`);
    out[key] = v;
  }
  return out as T;
}

/** Which split a problem belongs to, from a stable hash of its canonical description. */
export function splitOfHash(hash: number): 'train' | 'test' {
  // Remix so hashes of similar strings spread evenly over the 5 buckets.
  const h = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) % 5 === 0 ? 'test' : 'train';
}

export function splitOf(problemKey: string): 'train' | 'test' {
  return splitOfHash(hashString(problemKey));
}
