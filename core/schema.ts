/**
 * The one config validator of the project. A config section is declared once, as data: each option's
 * type, default, bounds and doc line (TRL's way of declaring GRPOConfig fields; Gymnasium's specs as
 * data). From that one declaration come
 *   - the TypeScript type of the validated section  (`Infer<typeof SCHEMA>`),
 *   - validation with defaults                       (`parse(SCHEMA, partial, 'learner')`),
 *   - the help text and docs tables                   (`describeSchema(SCHEMA)`).
 *
 * Every error is a ConfigError naming the full dotted key, the bad value and what is valid, and for an
 * unknown key the closest valid one. Cross-field rules live next to the room's `parse` call, in one
 * function per room (e.g. `validateGrpoConfig`), never spread over the code that uses the config.
 *
 * Declare a schema with `as const satisfies Schema` so enum values keep their literal types:
 *
 *   export const THR_OPTIONS = {
 *     p: { type: 'number', default: 0, min: -1, max: 1, doc: 'Reweighting strength …' },
 *     mode: { type: 'enum', values: ['reweight', 'thr-only'], default: 'reweight', doc: '…' },
 *   } as const satisfies Schema;
 *   export type ThrConfig = Infer<typeof THR_OPTIONS>;
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface Doc {
  /** One or more sentences: what the option does, its unit, the paper or library it follows. */
  doc: string;
  /** The user must give a value (its `default` is only a placeholder, never used): e.g. `env.id`. */
  required?: boolean;
}

export interface IntSpec extends Doc { type: 'int'; default: number | null; min?: number; max?: number; nullable?: boolean }
export interface NumberSpec extends Doc { type: 'number'; default: number | null; min?: number; max?: number; exclusiveMin?: boolean; nullable?: boolean }
export interface BooleanSpec extends Doc { type: 'boolean'; default: boolean }
export interface EnumSpec extends Doc { type: 'enum'; values: readonly string[]; default: string }
export interface StringSpec extends Doc {
  type: 'string'; default: string | null; nonEmpty?: boolean; nullable?: boolean;
  /** A regular expression the whole value must match, with a description of it for the error. */
  pattern?: { re: RegExp; what: string };
}
export interface IntArraySpec extends Doc { type: 'int[]'; default: readonly number[]; min?: number; max?: number; minLength?: number; maxLength?: number }
/** An array of strings; `nonEmpty` requires every item to hold a non-blank character. */
export interface StringArraySpec extends Doc { type: 'string[]'; default: readonly string[]; nonEmpty?: boolean }
/** A nested section; its default is its own schema's defaults. */
export interface ObjectSpec extends Doc { type: 'object'; schema: Schema }
/** A free-form object validated elsewhere (an env's own options, a plug-in's config). */
export interface RecordSpec extends Doc { type: 'record'; default: Readonly<Record<string, unknown>> | null; nullable?: boolean }
/**
 * One of several sections told apart by their `kind` key (a judge, a reward model, an encoder).
 * `extra(kind)` may return a parser for kinds registered at run time (plug-ins).
 */
export interface UnionSpec extends Doc {
  type: 'union';
  variants: Readonly<Record<string, Schema>>;
  default: string;
  extra?: { kinds(): string[]; parse(kind: string, value: Record<string, unknown>, key: string): unknown };
}

export type Spec = IntSpec | NumberSpec | BooleanSpec | EnumSpec | StringSpec | IntArraySpec | StringArraySpec | ObjectSpec | RecordSpec | UnionSpec;
export type Schema = Readonly<Record<string, Spec>>;

/** Every spec `type` there is; a schema declaring any other (a typo, a JavaScript caller) is an error. */
export const SPEC_TYPES: readonly Spec['type'][] = ['int', 'number', 'boolean', 'enum', 'string', 'int[]', 'string[]', 'object', 'record', 'union'];

/** Throws when a schema (built at run time, e.g. by a user's env module) declares a spec type that does not exist. */
function checkSpecType(spec: Spec, key: string): void {
  if (!SPEC_TYPES.includes((spec as { type?: unknown })?.type as Spec['type'])) {
    throw new ConfigError(`schema error: option '${key}' declares type ${show((spec as { type?: unknown })?.type)}; valid types: ${SPEC_TYPES.join(', ')}`);
  }
}

type Nullable<S, T> = S extends { nullable: true } ? T | null : T;
type InferUnion<V> = { [K in keyof V]: { kind: K } & (V[K] extends Schema ? Infer<V[K]> : never) }[keyof V];

/** The TypeScript type of one validated option. */
export type InferSpec<S> =
  S extends IntSpec | NumberSpec ? Nullable<S, number> :
  S extends BooleanSpec ? boolean :
  S extends { type: 'enum'; values: readonly (infer V)[] } ? V :
  S extends StringSpec ? Nullable<S, string> :
  S extends IntArraySpec ? number[] :
  S extends StringArraySpec ? string[] :
  S extends { type: 'object'; schema: infer N } ? (N extends Schema ? Infer<N> : never) :
  S extends RecordSpec ? Nullable<S, Record<string, unknown>> :
  S extends { type: 'union'; variants: infer V } ? InferUnion<V> :
  never;

/** The TypeScript type of a validated section: every option present, with its default when not given. */
export type Infer<S extends Schema> = { -readonly [K in keyof S]: InferSpec<S[K]> };

/** What users write: every option optional, nested sections partial too. */
export type InputSpec<S> =
  S extends { type: 'object'; schema: infer N } ? (N extends Schema ? Input<N> : never) :
  S extends { type: 'union'; variants: infer V } ? { [K in keyof V]: { kind?: K } & (V[K] extends Schema ? Input<V[K]> : never) }[keyof V] | Record<string, unknown> :
  InferSpec<S>;
export type Input<S extends Schema> = { -readonly [K in keyof S]?: InputSpec<S[K]> };

export type Plain = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** `a.b` from a section path and a key ('' is the top level). */
export function joinKey(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** What a spec accepts, in words (used by errors and by describeSchema). */
export function describeSpec(spec: Spec): string {
  const nul = 'nullable' in spec && spec.nullable ? ' or null' : '';
  switch (spec.type) {
    case 'int':
    case 'number': {
      const lo = spec.min === undefined ? '' : ` ${spec.type === 'number' && spec.exclusiveMin ? '>' : '>='} ${spec.min}`;
      const hi = spec.max === undefined ? '' : `${lo ? ' and' : ''} <= ${spec.max}`;
      return `${spec.type === 'int' ? 'an integer' : 'a number'}${lo}${hi}${nul}`;
    }
    case 'boolean': return 'true or false';
    case 'enum': return `one of ${spec.values.map((v) => `'${v}'`).join(', ')}`;
    case 'string': return `${spec.nonEmpty ? 'a non-empty string' : 'a string'}${spec.pattern ? ` (${spec.pattern.what})` : ''}${nul}`;
    case 'int[]': return `an array of integers${spec.min !== undefined ? ` >= ${spec.min}` : ''}${spec.max !== undefined ? ` <= ${spec.max}` : ''}${spec.minLength ? ` (at least ${spec.minLength})` : ''}${spec.maxLength !== undefined ? ` (at most ${spec.maxLength})` : ''}`;
    case 'string[]': return `an array of ${spec.nonEmpty ? 'non-empty ' : ''}strings`;
    case 'object': return 'an object';
    case 'record': return `an object${nul}`;
    case 'union': return `an object with 'kind' one of ${unionKinds(spec).map((k) => `'${k}'`).join(', ')}`;
  }
}

function unionKinds(spec: UnionSpec): string[] {
  return [...Object.keys(spec.variants), ...(spec.extra?.kinds() ?? [])];
}

/** Levenshtein distance, for "did you mean" suggestions on unknown keys. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The valid key closest to `key`, when close enough to be a typo. */
export function closest(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const dd = distance(key, v);
    if (dd < bestD) { bestD = dd; best = v; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Throws on the first key of `obj` that is not in `valid`, naming its full path and the closest valid key. */
export function rejectUnknownKeys(obj: Plain, valid: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (valid.includes(key)) continue;
    const near = closest(key, valid);
    throw new ConfigError(`unknown config key '${joinKey(path, key)}'${near ? ` (did you mean '${joinKey(path, near)}'?)` : ''}. Valid keys${path ? ` of '${path}'` : ''}: ${valid.join(', ') || '(none)'}`);
  }
}

function bad(key: string, spec: Spec, v: unknown): ConfigError {
  return new ConfigError(`config key '${key}' must be ${describeSpec(spec)}, got ${show(v)}`);
}

function parseSpec(spec: Spec, v: unknown, key: string): unknown {
  checkSpecType(spec, key);
  if (v === undefined && spec.required) throw new ConfigError(`config key '${key}' is required: ${describeSpec(spec)} (${spec.doc})`);
  if (v === undefined) {
    if (spec.type === 'object') return parse(spec.schema, {}, key);
    if (spec.type === 'union') return parseSpec(spec, { kind: spec.default }, key);
    const def = spec.default;
    return Array.isArray(def) ? [...def] : isPlainObject(def) ? { ...def } : def;
  }
  if (v === null && 'nullable' in spec && spec.nullable) return null;
  switch (spec.type) {
    case 'int':
    case 'number': {
      const ok = typeof v === 'number' && Number.isFinite(v) && (spec.type === 'number' || Number.isInteger(v)) &&
        (spec.min === undefined || (spec.type === 'number' && spec.exclusiveMin ? v > spec.min : v >= spec.min)) &&
        (spec.max === undefined || v <= spec.max);
      if (!ok) throw bad(key, spec, v);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw bad(key, spec, v);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) throw bad(key, spec, v);
      return v;
    case 'string':
      if (typeof v !== 'string' || (spec.nonEmpty && v.length === 0) || (spec.pattern && !spec.pattern.re.test(v))) throw bad(key, spec, v);
      return v;
    case 'int[]': {
      const ok = Array.isArray(v) && v.every((x) => Number.isInteger(x) && (spec.min === undefined || x >= spec.min) && (spec.max === undefined || x <= spec.max)) &&
        (spec.minLength === undefined || v.length >= spec.minLength) && (spec.maxLength === undefined || v.length <= spec.maxLength);
      if (!ok) throw bad(key, spec, v);
      return [...(v as number[])];
    }
    case 'string[]':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && (!spec.nonEmpty || x.trim().length > 0))) throw bad(key, spec, v);
      return [...(v as string[])];
    case 'object':
      if (!isPlainObject(v)) throw bad(key, spec, v);
      return parse(spec.schema, v, key);
    case 'record':
      if (!isPlainObject(v)) throw bad(key, spec, v);
      return { ...v };
    case 'union': {
      if (!isPlainObject(v)) throw bad(key, spec, v);
      const kind = v.kind ?? spec.default;
      const kinds = unionKinds(spec);
      if (typeof kind !== 'string' || !kinds.includes(kind)) {
        const near = typeof kind === 'string' ? closest(kind, kinds) : undefined;
        throw new ConfigError(`config key '${joinKey(key, 'kind')}' must be one of ${kinds.map((k) => `'${k}'`).join(', ')}, got ${show(kind)}${near ? ` (did you mean '${near}'?)` : ''}`);
      }
      const variant = spec.variants[kind];
      if (!variant) return spec.extra!.parse(kind, v, key);
      rejectUnknownKeys(v, ['kind', ...Object.keys(variant)], key);
      const { kind: _kind, ...rest } = v;
      return { kind, ...parse(variant, rest, key) };
    }
  }
}

/** Validates one value against one spec (a union or a nested section on its own); `key` is its dotted key. */
export function parseOption<S extends Spec>(spec: S, value: unknown, key: string): InferSpec<S> {
  return parseSpec(spec, value, key) as InferSpec<S>;
}

/**
 * Validates `input` against `schema` and fills defaults. `path` is the section's dotted key in the whole
 * config ('learner', 'rewards.judge', '' for the top level), so errors name the key as the user wrote it.
 */
export function parse<S extends Schema>(schema: S, input: unknown, path = ''): Infer<S> {
  const obj = input === undefined ? {} : input;
  if (!isPlainObject(obj)) throw new ConfigError(`config ${path ? `key '${path}'` : 'section'} must be an object, got ${show(input)}`);
  rejectUnknownKeys(obj, Object.keys(schema), path);
  const out: Plain = {};
  for (const [key, spec] of Object.entries(schema)) out[key] = parseSpec(spec, obj[key], joinKey(path, key));
  return out as Infer<S>;
}

/** The defaults of a schema (the same as `parse(schema, {})`). */
export function defaults<S extends Schema>(schema: S): Infer<S> {
  return parse(schema, {});
}

export interface OptionRow { key: string; type: string; default: string; doc: string }

/** One row per option (nested sections flattened to dotted keys): for --help, docs tables and the dashboard. */
export function describeSchema(schema: Schema, path = ''): OptionRow[] {
  const rows: OptionRow[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    const full = joinKey(path, key);
    if (spec.type === 'object') { rows.push(...describeSchema(spec.schema, full)); continue; }
    if (spec.type === 'union') {
      rows.push({ key: `${full}.kind`, type: describeSpec({ type: 'enum', values: unionKinds(spec), default: spec.default, doc: '' }), default: show(spec.default), doc: spec.doc });
      for (const [kind, variant] of Object.entries(spec.variants)) {
        for (const r of describeSchema(variant, full)) rows.push({ ...r, doc: `(kind '${kind}') ${r.doc}` });
      }
      continue;
    }
    checkSpecType(spec, full);
    rows.push({ key: full, type: describeSpec(spec), default: spec.required ? '(required)' : show(spec.default), doc: spec.doc });
  }
  return rows;
}
