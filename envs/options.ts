/**
 * Typed, validated env options. Each env declares a schema of core/schema.ts specs (type, default,
 * bounds, a doc line) — the project's one config validator; `validateOptions` fills defaults and throws
 * a ConfigError naming the env, the bad key or value and what is valid (an unknown key gets the
 * closest valid one). Cross-option rules stay in the env's own validate function, after this call.
 */
import { ConfigError, describeSpec, parse, type Schema, type Spec } from '../core/schema.ts';
import { hashString } from '../core/rng.ts';

export type OptionSpec = Spec;
export type OptionSchema = Schema;

/** Every procedurally generated built-in env takes `split`. */
export const SPLIT_OPTION: OptionSpec = {
  type: 'enum',
  values: ['train', 'test'],
  default: 'train',
  doc: "Problem set: 'train' or the disjoint held-out 'test' split (about 1 problem in 5 goes to test, chosen by a hash of the problem).",
};

/** What an option accepts, in words. */
export const describeOption = describeSpec;

/** `parse(schema, partial)` with errors prefixed by `where` (the env id). */
export function validateOptions<T>(where: string, schema: OptionSchema, partial: Record<string, unknown> | undefined): T {
  try {
    return parse(schema, partial ?? {}, '') as T;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`);
    throw err;
  }
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
